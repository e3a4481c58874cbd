// What `runUntil` steps wait for: an instance's run state, a VMM's record state, or a saga's state.
import { assertNever } from '../sim/kernel/assert-never.ts'
import type { Condition } from './scenario-schema.ts'
import { resolveVmm } from './run-refs.ts'
import type { Testbed } from './testbed.ts'

export function conditionHolds(tb: Testbed, condition: Condition): boolean {
  const kind = conditionKind(condition)
  switch (kind.kind) {
    case 'instance':
      try {
        return tb.nexus.instanceView(kind.c.instance).runState === kind.c.runState
      } catch {
        return false
      }
    case 'vmm':
      try {
        return resolveVmm(tb, kind.c.vmm).state === kind.c.state
      } catch {
        return false
      }
    case 'saga':
      return tb.db.sagas({ name: kind.c.saga, state: kind.c.state }).length >= (kind.c.count ?? 1)
    default:
      return assertNever(kind, 'runUntil condition')
  }
}

export function describeCondition(condition: Condition): string {
  const kind = conditionKind(condition)
  switch (kind.kind) {
    case 'instance':
      return `instance ${kind.c.instance} ${kind.c.runState}`
    case 'vmm':
      return `VMM ${kind.c.vmm.which ?? 'active'} of ${kind.c.vmm.instance} ${kind.c.state}`
    case 'saga':
      return `${kind.c.count ?? 1} ${kind.c.saga} saga(s) ${kind.c.state}`
    default:
      return assertNever(kind, 'runUntil condition')
  }
}

type Tagged =
  | { readonly kind: 'instance'; readonly c: Extract<Condition, { runState: unknown }> }
  | { readonly kind: 'vmm'; readonly c: Extract<Condition, { vmm: unknown }> }
  | { readonly kind: 'saga'; readonly c: Extract<Condition, { saga: unknown }> }

function conditionKind(condition: Condition): Tagged {
  if ('runState' in condition) return { kind: 'instance', c: condition }
  if ('vmm' in condition) return { kind: 'vmm', c: condition }
  return { kind: 'saga', c: condition }
}
