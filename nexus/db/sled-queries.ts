// Sled rows: what placement needs (capacity, CPU family, policy) and what the instance watcher needs
// (the policy, to spot expunged sleds). Sleds are never deleted here.
// Mirrors: omicron nexus/db-queries/src/db/datastore/sled.rs@b848b6d (reduced to those columns).
import type { SledUuid } from '../../sim/kernel/ids.ts'
import type { SledCpuFamily, SledPolicy, SledRecord } from './records.ts'
import type { Tables } from './tables.ts'

export interface SledInsertParams {
  readonly id: SledUuid
  readonly name: string
  /** Default `in_service`. */
  readonly policy?: SledPolicy
  readonly hardwareThreads: number
  /** Bytes. */
  readonly reservoirBytes: number
  readonly cpuFamily: SledCpuFamily
}

/** Inserts a sled; idempotent on id (a re-registering sled-agent gets its row back). */
export function sledInsert(t: Tables, params: SledInsertParams): SledRecord {
  const existing = t.sleds.get(params.id)
  if (existing !== undefined) return { ...existing }
  const row: SledRecord = {
    id: params.id,
    name: params.name,
    policy: params.policy ?? 'in_service',
    hardwareThreads: params.hardwareThreads,
    reservoirBytes: params.reservoirBytes,
    cpuFamily: params.cpuFamily,
    timeCreated: t.now(),
  }
  return { ...t.putSled(row, 'insert') }
}

export function sledGet(t: Tables, sledId: SledUuid): SledRecord | null {
  const row = t.sleds.get(sledId)
  return row === undefined ? null : { ...row }
}

export function sledGetByName(t: Tables, name: string): SledRecord | null {
  const id = t.sledIdByName(name)
  const row = id === undefined ? undefined : t.sleds.get(id)
  return row === undefined ? null : { ...row }
}

/** Sleds in insertion order (the order the testbed numbers them). */
export function sledList(t: Tables): SledRecord[] {
  return [...t.sleds.values()].map((row) => ({ ...row }))
}

export type SledSetPolicyOutcome =
  | { readonly kind: 'updated'; readonly sled: SledRecord; readonly previousPolicy: SledPolicy }
  /** Expunged is for ever: an expunged sled's policy cannot change back. */
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'not_found' }

/** Sets the operator policy (`sledExpunge` is `policy = expunged`). Setting the same policy is a no-op update. */
export function sledSetPolicy(t: Tables, sledId: SledUuid, policy: SledPolicy): SledSetPolicyOutcome {
  const row = t.sleds.get(sledId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.policy === 'expunged' && policy !== 'expunged') {
    return { kind: 'refused', message: `cannot change the policy of an expunged sled to '${policy}'` }
  }
  if (row.policy === policy) return { kind: 'updated', sled: { ...row }, previousPolicy: row.policy }
  return { kind: 'updated', sled: { ...t.putSled({ ...row, policy }, 'update') }, previousPolicy: row.policy }
}
