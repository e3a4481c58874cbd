// The typed builder for scenarios: each method appends one step of the format in scenario-schema.ts,
// and `build()` checks the result against that schema, so a scenario written in TypeScript is the
// same data a JSON file would hold.
import type { BackgroundTaskName } from '../nexus/nexus.ts'
import type { InvariantName } from './invariants/violation.ts'
import { parseScenario } from './scenario-load.ts'
import type { Condition, Scenario, ScenarioInput, Step, VmmRef } from './scenario-schema.ts'

type StepOf<K extends Step['step']> = Extract<Step, { step: K }>
type Fields<K extends Step['step'], Omitted extends string = never> = Omit<StepOf<K>, 'step' | Omitted>
type Sled = string | number

export interface ScenarioMeta {
  readonly name: string
  readonly description: string
  readonly seed?: number
  readonly config?: ScenarioInput['config']
  readonly expectViolations?: readonly InvariantName[]
}

export class ScenarioBuilder {
  readonly #meta: ScenarioMeta
  readonly #steps: Step[] = []

  constructor(meta: ScenarioMeta) {
    this.#meta = meta
  }

  /** Appends any step as data. */
  step(step: Step): this {
    this.#steps.push(step)
    return this
  }

  // Operations.
  create(name: string, fields: Fields<'create', 'name'>): this {
    return this.step({ step: 'create', name, ...fields })
  }
  start(instance: string, fields: Fields<'start', 'instance'> = {}): this {
    return this.step({ step: 'start', instance, ...fields })
  }
  stop(instance: string, fields: Fields<'stop', 'instance'> = {}): this {
    return this.step({ step: 'stop', instance, ...fields })
  }
  reboot(instance: string, fields: Fields<'reboot', 'instance'> = {}): this {
    return this.step({ step: 'reboot', instance, ...fields })
  }
  delete(instance: string, fields: Fields<'delete', 'instance'> = {}): this {
    return this.step({ step: 'delete', instance, ...fields })
  }
  migrate(instance: string, dstSled: Sled, fields: Fields<'migrate', 'instance' | 'dstSled'> = {}): this {
    return this.step({ step: 'migrate', instance, dstSled, ...fields })
  }
  /** Operations issued at once on the same virtual time: build them with `op`. */
  concurrently(...steps: StepOf<'concurrently'>['steps']): this {
    return this.step({ step: 'concurrently', steps })
  }
  expungeSled(sled: Sled): this {
    return this.step({ step: 'expungeSled', sled })
  }
  /** An affinity group (failure domain `sled`); join it with `create(..., { affinityGroups })` or `affinityGroupMember`. */
  affinityGroup(name: string, policy: StepOf<'affinityGroup'>['policy'], fields: Fields<'affinityGroup', 'name' | 'policy' | 'kind'> = {}): this {
    return this.step({ step: 'affinityGroup', kind: 'affinity', name, policy, ...fields })
  }
  /** An anti-affinity group (failure domain `sled`); join it with `create(..., { antiAffinityGroups })` or `antiAffinityGroupMember`. */
  antiAffinityGroup(name: string, policy: StepOf<'affinityGroup'>['policy'], fields: Fields<'affinityGroup', 'name' | 'policy' | 'kind'> = {}): this {
    return this.step({ step: 'affinityGroup', kind: 'anti_affinity', name, policy, ...fields })
  }
  affinityGroupMember(group: string, instance: string, fields: Fields<'affinityGroupMember', 'group' | 'instance' | 'kind'> = {}): this {
    return this.step({ step: 'affinityGroupMember', kind: 'affinity', group, instance, ...fields })
  }
  antiAffinityGroupMember(group: string, instance: string, fields: Fields<'affinityGroupMember', 'group' | 'instance' | 'kind'> = {}): this {
    return this.step({ step: 'affinityGroupMember', kind: 'anti_affinity', group, instance, ...fields })
  }
  crashNexus(): this {
    return this.step({ step: 'crashNexus' })
  }
  restartNexus(): this {
    return this.step({ step: 'restartNexus' })
  }
  activate(task: BackgroundTaskName): this {
    return this.step({ step: 'activate', task })
  }

  // Faults.
  fault(fields: Fields<'fault'>): this {
    return this.step({ step: 'fault', ...fields })
  }
  clearFault(label: string): this {
    return this.step({ step: 'clearFault', label })
  }
  sled(sled: Sled, action: StepOf<'sled'>['action']): this {
    return this.step({ step: 'sled', sled, action })
  }
  forgetVmm(vmm: VmmRef): this {
    return this.step({ step: 'forgetVmm', vmm })
  }
  vmm(vmm: VmmRef, action: StepOf<'vmm'>['action'], fields: Fields<'vmm', 'vmm' | 'action'> = {}): this {
    return this.step({ step: 'vmm', vmm, action, ...fields })
  }
  failMigration(vmm: VmmRef, side: 'source' | 'target', phase?: StepOf<'failMigration'>['phase']): this {
    return this.step({ step: 'failMigration', vmm, side, ...(phase === undefined ? {} : { phase }) })
  }
  sagaFault(saga: string, node: string, fault: StepOf<'sagaFault'>['fault'], times?: number): this {
    return this.step({ step: 'sagaFault', saga, node, fault, ...(times === undefined ? {} : { times }) })
  }

  // Time.
  advance(by: string | number): this {
    return this.step({ step: 'advance', by })
  }
  settle(): this {
    return this.step({ step: 'settle' })
  }
  runUntil(until: Condition, timeout?: string | number): this {
    return this.step({ step: 'runUntil', until, ...(timeout === undefined ? {} : { timeout }) })
  }
  note(text: string): this {
    return this.step({ step: 'note', text })
  }

  // Assertions.
  expectInstance(instance: string, fields: Fields<'expectInstance', 'instance'>): this {
    return this.step({ step: 'expectInstance', instance, ...fields })
  }
  expectRecord(instance: string, fields: Fields<'expectRecord', 'instance'>): this {
    return this.step({ step: 'expectRecord', instance, ...fields })
  }
  expectVmm(vmm: VmmRef, fields: Fields<'expectVmm', 'vmm'>): this {
    return this.step({ step: 'expectVmm', vmm, ...fields })
  }
  expectVmmCount(instance: string, count: number): this {
    return this.step({ step: 'expectVmmCount', instance, count })
  }
  expectSagas(fields: Fields<'expectSagas'>): this {
    return this.step({ step: 'expectSagas', ...fields })
  }
  expectMigration(instance: string, fields: Fields<'expectMigration', 'instance'>): this {
    return this.step({ step: 'expectMigration', instance, ...fields })
  }
  expectProvisioning(cpus: number, ram: string | number): this {
    return this.step({ step: 'expectProvisioning', cpus, ram })
  }
  expectReservations(count: number, sled?: Sled): this {
    return this.step({ step: 'expectReservations', count, ...(sled === undefined ? {} : { sled }) })
  }
  expectTrace(includes: string, fields: Fields<'expectTrace', 'includes'> = {}): this {
    return this.step({ step: 'expectTrace', includes, ...fields })
  }
  expectViolations(invariants: StepOf<'expectViolations'>['invariants']): this {
    return this.step({ step: 'expectViolations', invariants })
  }

  /** The scenario as data, checked against the format. */
  build(): Scenario {
    const { name, description, seed, config, expectViolations } = this.#meta
    return parseScenario(
      { name, description, seed: seed ?? 1, config: config ?? {}, ...(expectViolations === undefined ? {} : { expectViolations }), steps: this.#steps },
      `scenario ${name}`,
    )
  }
}

/** Starts a scenario: `scenario({ name, description }).create(...).runUntil(...).expectInstance(...).build()`. */
export function scenario(meta: ScenarioMeta): ScenarioBuilder {
  return new ScenarioBuilder(meta)
}

type Operation = StepOf<'concurrently'>['steps'][number]
type OpFields<K extends Operation['step'], O extends string> = Omit<Extract<Operation, { step: K }>, 'step' | O>

/** Single operations as data, for `concurrently(...)`. */
export const op = {
  create: (name: string, fields: OpFields<'create', 'name'>): Operation => ({ step: 'create', name, ...fields }),
  start: (instance: string, fields: OpFields<'start', 'instance'> = {}): Operation => ({ step: 'start', instance, ...fields }),
  stop: (instance: string, fields: OpFields<'stop', 'instance'> = {}): Operation => ({ step: 'stop', instance, ...fields }),
  reboot: (instance: string, fields: OpFields<'reboot', 'instance'> = {}): Operation => ({ step: 'reboot', instance, ...fields }),
  delete: (instance: string, fields: OpFields<'delete', 'instance'> = {}): Operation => ({ step: 'delete', instance, ...fields }),
  migrate: (instance: string, dstSled: Sled, fields: OpFields<'migrate', 'instance' | 'dstSled'> = {}): Operation => ({ step: 'migrate', instance, dstSled, ...fields }),
}
