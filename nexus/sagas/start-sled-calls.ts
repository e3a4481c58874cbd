// The instance-start saga's sled-agent calls: register the new VMM (`vmm_register` with the runtime
// the sled-agent starts from), unregister it on unwind, and ask it to run. Responses are written back
// through the intake; errors map with the generic table, as errors inside sagas do.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`instance_ensure_registered`,
// `instance_ensure_unregistered`, `instance_request_state`) as instance_start.rs calls them.
import { nextGeneration, type InstanceEnsureBodyInput } from '../../sim/sled-agent/api/index.ts'
import { internalError } from '../app/errors.ts'
import { stateChangeAction } from '../app/instance-admission.ts'
import { failOnAnySledAgentError } from '../app/instance-requests.ts'
import { externalErrorFromSledAgent, isVmmGone, SledAgentClientError } from '../app/sled-agent-client.ts'
import type { InstanceRecord, VmmRecord } from '../db/records.ts'
import { effectiveInstanceState } from '../types/effective-instance-state.ts'
import type { NexusSagaServices } from './saga-services.ts'

/** Omicron's built-in default silo; the testbed has only that one. */
export const DEFAULT_SILO_ID = '001de000-5110-4000-8000-000000000000'

const MIB = 1024 * 1024

/**
 * The `InstanceEnsureBody` for a start: the VMM is to begin `starting` at the DB generation + 1 (so 2
 * for a fresh VMM), with no migration, listening on the VMM row's address.
 */
// Simplification: the spec has no disks, NICs or other components, and the sled-local configuration
// no networking (the testbed models neither); the board and hostname are the instance's.
export function vmmRegisterBody(instance: InstanceRecord, vmm: VmmRecord, now: string): InstanceEnsureBodyInput {
  return {
    instance_id: instance.id,
    vmm_spec: {
      board: { cpus: instance.ncpus, memory_mb: Math.floor(instance.memory / MIB), chipset: { type: 'i440_fx', value: { enable_pcie: false } } },
      components: {},
    },
    local_config: {
      hostname: instance.hostname,
      nics: [],
      external_ips: { v4: null, v6: null },
      firewall_rules: [],
      dhcp_config: { dns_servers: [], host_domain: null, search_domains: [] },
      multicast_groups: [],
      delegated_zvols: [],
      attached_subnets: [],
    },
    vmm_runtime: { state: 'starting', gen: nextGeneration(vmm.gen), time_updated: now },
    migration_id: null,
    propolis_addr: `[${vmm.propolisIp}]:${vmm.propolisPort}`,
    metadata: { silo_id: DEFAULT_SILO_ID, project_id: instance.projectId },
  }
}

/**
 * ENSURE_REGISTERED: PUT the VMM to its sled and write back the returned state (the VMM becomes
 * `starting`); returns the VMM row as it is then. A 404 NO_SUCH_INSTANCE first marks the VMM
 * `failed(no_such_instance)` and runs the update saga; every sled-agent error then fails the node.
 */
export async function registerVmm(services: NexusSagaServices, instance: InstanceRecord, vmm: VmmRecord, now: string): Promise<VmmRecord> {
  return ensureVmmRegistered(services, vmm, vmmRegisterBody(instance, vmm, now), 'start saga: vmm')
}

/**
 * omicron's `instance_ensure_registered`, for a start or a migration (the body says which): PUT the
 * VMM to its sled, write back the returned state, and return the VMM row as it is then. A 404
 * NO_SUCH_INSTANCE first marks the VMM `failed(no_such_instance)` and runs the update saga; every
 * sled-agent error then fails the node with the generic mapping. `what` names the VMM in errors.
 */
export async function ensureVmmRegistered(services: NexusSagaServices, vmm: VmmRecord, body: InstanceEnsureBodyInput, what: string): Promise<VmmRecord> {
  try {
    const state = await services.sledClient(vmm.sledId).vmmRegister(vmm.id, body)
    services.intake.notify(vmm.id, state)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    if (isVmmGone(error)) await services.intake.markVmmFailed(vmm.id, 'no_such_instance')
    throw externalErrorFromSledAgent(error)
  }
  const registered = services.db.vmmGet(vmm.id)
  if (registered === null) throw internalError(`${what} ${vmm.id} vanished after registration`)
  return registered
}

/**
 * ENSURE_REGISTERED's undo: unregister the VMM. The returned state is ignored (the sled-agent does not
 * publish it either). Any sled-agent error but 404 NO_SUCH_INSTANCE counts as "already gone"; that
 * one marks the VMM failed, runs the update saga, and then fails the undo, so the saga is stuck.
 * omicron's comment says the opposite intent; its code keys on `vmm_gone`, and so does this (§1.4).
 * Real sled-agents answer 200 with null for an unknown VMM, so only an injected 404 gets here.
 */
export async function unregisterVmm(services: NexusSagaServices, vmm: VmmRecord): Promise<void> {
  try {
    await services.sledClient(vmm.sledId).vmmUnregister(vmm.id)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    if (!isVmmGone(error)) return
    await services.intake.markVmmFailed(vmm.id, 'no_such_instance')
    throw error
  }
}

/**
 * ENSURE_RUNNING: `instance_request_state(Run)` with the saga's records (the started instance and the
 * registered VMM), writing back what the sled-agent returns. A sled-agent error fails the node and
 * nothing is marked failed, not even on a 404 (only stop and reboot do that), unless
 * `failOnAnySledAgentError` brings back the pre-2024 rule.
 */
export async function requestRun(services: NexusSagaServices, started: InstanceRecord, vmm: VmmRecord): Promise<void> {
  const { runState } = effectiveInstanceState({ instance: started, activeVmm: vmm })
  const action = stateChangeAction(runState, true, 'run')
  if (action.kind === 'error') throw action.error
  if (action.kind !== 'send_to_sled') return
  try {
    const updated = await services.sledClient(vmm.sledId).vmmPutState(vmm.id, { type: 'running' })
    if (updated !== null) services.intake.notify(vmm.id, updated)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    // Off by default; on, the pre-2024 rule fails the VMM (and so the instance) before the saga unwinds.
    await failOnAnySledAgentError(services, vmm.id, error)
    throw externalErrorFromSledAgent(error)
  }
}

