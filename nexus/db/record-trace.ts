// The trace line of a committed write to the tables a timeline follows (instance, vmm, migration):
// the row's id, state and generation(s) as they are after the write, in snake_case JSON, so a
// swimlane can show each record's states with their generations. Other tables are not traced.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { MigrationState } from '../../sim/sled-agent/api/index.ts'
import type { InstanceRecordState } from '../types/instance-state.ts'
import type { VmmFailureReason } from '../types/vmm-failure-reason.ts'
import type { VmmRecordState } from '../types/vmm-record.ts'
import type { InstanceIntendedState } from './records.ts'
import type { RecordWrite, WriteOp } from './tables.ts'

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** One committed write of an instance, VMM or migration row, with the row as written. */
    'db.record':
      | {
          readonly table: 'instance'
          readonly op: WriteOp
          readonly id: string
          readonly state: InstanceRecordState
          readonly gen: number
          readonly active_propolis_id: string | null
          readonly target_propolis_id: string | null
          readonly migration_id: string | null
          readonly intended_state: InstanceIntendedState
        }
      | {
          readonly table: 'vmm'
          readonly op: WriteOp
          readonly id: string
          readonly instance: string
          readonly sled: string
          readonly state: VmmRecordState
          readonly gen: number
          readonly failure_reason: VmmFailureReason | null
        }
      | {
          /** A migration has one state per side, so no single `state` or `gen`. */
          readonly table: 'migration'
          readonly op: WriteOp
          readonly id: string
          readonly instance: string
          readonly source_propolis_id: string
          readonly target_propolis_id: string
          readonly source_state: MigrationState
          readonly source_gen: number
          readonly target_state: MigrationState
          readonly target_gen: number
        }
  }
}

/** Records `write` in the trace if it is to a traced table; other writes are left out. */
export function traceRecordWrite(trace: Trace, write: RecordWrite): void {
  switch (write.table) {
    case 'instance': {
      const { row } = write
      trace.record('db.record', {
        table: 'instance',
        op: write.op,
        id: row.id,
        state: row.state,
        gen: row.gen,
        active_propolis_id: row.activePropolisId,
        target_propolis_id: row.targetPropolisId,
        migration_id: row.migrationId,
        intended_state: row.intendedState,
      })
      return
    }
    case 'vmm': {
      const { row } = write
      trace.record('db.record', {
        table: 'vmm',
        op: write.op,
        id: row.id,
        instance: row.instanceId,
        sled: row.sledId,
        state: row.state,
        gen: row.gen,
        failure_reason: row.failureReason,
      })
      return
    }
    case 'migration': {
      const { row } = write
      trace.record('db.record', {
        table: 'migration',
        op: write.op,
        id: row.id,
        instance: row.instanceId,
        source_propolis_id: row.sourcePropolisId,
        target_propolis_id: row.targetPropolisId,
        source_state: row.sourceState,
        source_gen: row.sourceGen,
        target_state: row.targetState,
        target_gen: row.targetGen,
      })
      return
    }
    // Capacity, accounting and the saga log: their own events (saga.*) or none; not part of a timeline.
    case 'sled':
    case 'sled_resource_vmm':
    case 'virtual_provisioning_resource':
    case 'virtual_provisioning_collection':
    case 'saga':
    // Affinity groups and their members shape placement, not a timeline.
    case 'affinity_group':
    case 'anti_affinity_group':
    case 'affinity_group_instance_membership':
    case 'anti_affinity_group_instance_membership':
      return
    default:
      assertNever(write, 'record write')
  }
}
