// Per-write checks that need the past: generations never go backwards (instance, VMM, both sides of
// a migration) and a VMM that reached `destroyed`, `failed` or `saga_unwound` never changes state
// again. Remembers the last value seen per row id, so each write costs O(1).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { RecordWrite } from '../../nexus/db/tables.ts'
import type { VmmRecordState } from '../../nexus/types/vmm-record.ts'
import { DESTROYABLE_VMM_STATES } from '../../nexus/types/vmm-state.ts'
import type { ReportViolation } from './violation-log.ts'

interface VmmSeen {
  readonly gen: number
  readonly state: VmmRecordState
}

interface MigrationSeen {
  readonly sourceGen: number
  readonly targetGen: number
}

export class WriteHistory {
  readonly #report: ReportViolation
  readonly #instanceGen = new Map<string, number>()
  readonly #vmms = new Map<string, VmmSeen>()
  readonly #migrations = new Map<string, MigrationSeen>()

  constructor(report: ReportViolation) {
    this.#report = report
  }

  check(write: RecordWrite): void {
    switch (write.table) {
      case 'instance': {
        const { id, gen } = write.row
        this.#generation(`instance ${id}`, 'instance gen', this.#instanceGen.get(id), gen)
        this.#instanceGen.set(id, Math.max(gen, this.#instanceGen.get(id) ?? gen))
        return
      }
      case 'vmm': {
        const { id, gen, state } = write.row
        const seen = this.#vmms.get(id)
        this.#generation(`vmm ${id}`, 'VMM gen', seen?.gen, gen)
        if (seen !== undefined && seen.state !== state && frozen(seen.state) && !unwoundBySaga(seen.state, state)) {
          this.#report('terminal_vmm_frozen', `vmm ${id}`, `the VMM left '${seen.state}', which it should never leave, for '${state}' (gen ${gen})`)
        }
        this.#vmms.set(id, { gen: Math.max(gen, seen?.gen ?? gen), state })
        return
      }
      case 'migration': {
        const { id, sourceGen, targetGen } = write.row
        const seen = this.#migrations.get(id)
        this.#generation(`migration ${id}`, 'migration source_gen', seen?.sourceGen, sourceGen)
        this.#generation(`migration ${id}`, 'migration target_gen', seen?.targetGen, targetGen)
        this.#migrations.set(id, { sourceGen: Math.max(sourceGen, seen?.sourceGen ?? sourceGen), targetGen: Math.max(targetGen, seen?.targetGen ?? targetGen) })
        return
      }
      // Sleds, reservations, provisioning, sagas and affinity groups carry no generation.
      case 'sled':
      case 'sled_resource_vmm':
      case 'virtual_provisioning_resource':
      case 'virtual_provisioning_collection':
      case 'saga':
      case 'affinity_group':
      case 'anti_affinity_group':
      case 'affinity_group_instance_membership':
      case 'anti_affinity_group_instance_membership':
        return
      default:
        return assertNever(write, 'record write')
    }
  }

  #generation(subject: string, column: string, before: number | undefined, after: number): void {
    if (before !== undefined && after < before) {
      this.#report('generation_monotonic', subject, `${column} went backwards from ${before} to ${after}`)
    }
  }
}

/**
 * The states a VMM never leaves once it is in them (DESIGN.md §6): Omicron's destroyable states.
 * `failed` and `destroyed` are its terminal ones; `saga_unwound` is not (a sled-agent report would
 * still land on it), but such a VMM will never exist, so a later state means a sled brought back a
 * VMM Nexus had given up on.
 */
function frozen(state: VmmRecordState): boolean {
  return (DESTROYABLE_VMM_STATES as readonly VmmRecordState[]).includes(state)
}

/**
 * The one way out: the undo of the saga that created the VMM marks it `saga_unwound` whatever it was
 * (omicron's `vmm_mark_saga_unwound` is unconditional, omicron-model.md §4.5), e.g. after a sled-agent
 * 404 on registration already marked it `failed` (omicron-behaviour.md §1.2 node 10, §1.4).
 */
function unwoundBySaga(from: VmmRecordState, to: VmmRecordState): boolean {
  return to === 'saga_unwound' && (from === 'failed' || from === 'destroyed')
}
