// The sled-agent wire contract: the one part of `sim/` that Nexus may import, as omicron's Nexus
// shares `sled_agent_types` with the sled-agent.
export * from './generation.ts'
export * from './vmm-state.ts'
export * from './error-body.ts'
export * from './requests.ts'
export * from './routes.ts'
