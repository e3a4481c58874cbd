// The start-failure column of an instance (`recordStartFailures`, omicron#9185): written when a start
// saga fails, removed by the next successful start. Not guarded by the state generation: like the
// intended state, it describes what was asked for, not the instance's runtime.
// Simplification: omicron has no such column at b848b6d; this is the testbed's proposal.
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import type { InstanceRecord, StartFailureRecord } from './records.ts'
import type { Tables } from './tables.ts'

export type StartFailureWriteOutcome = { readonly kind: 'written'; readonly instance: InstanceRecord } | { readonly kind: 'not_found' }

/** Records why a start saga failed on a live instance, replacing any earlier record. */
export function instanceSetStartFailure(t: Tables, instanceId: InstanceUuid, failure: StartFailureRecord): StartFailureWriteOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  return { kind: 'written', instance: { ...t.putInstance({ ...row, startFailure: { ...failure } }, 'update') } }
}

export type StartFailureClearOutcome =
  | { readonly kind: 'cleared'; readonly instance: InstanceRecord }
  /** Nothing was recorded: nothing written. */
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'not_found' }

/** Removes the record (a start succeeded); the row is then as if no start had ever failed. */
export function instanceClearStartFailure(t: Tables, instanceId: InstanceUuid): StartFailureClearOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.startFailure === undefined) return { kind: 'unchanged' }
  const { startFailure: _cleared, ...rest } = row
  return { kind: 'cleared', instance: { ...t.putInstance(rest, 'update') } }
}
