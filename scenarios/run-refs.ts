// How scenario steps name things that only exist at run time: a VMM through its instance (the active
// or target one, the last, or the nth made for it), and a sled's id from a name or index.
import type { VmmDbView } from '../nexus/db/read-views.ts'
import type { VmmRef } from './scenario-schema.ts'
import type { Testbed } from './testbed.ts'

/** A step that cannot be carried out, or an expectation that did not hold. */
export class StepFailed extends Error {
  override readonly name = 'StepFailed'
}

export function instanceRecord(tb: Testbed, instance: string) {
  const record = tb.db.instance(instance)
  if (record === null) throw new StepFailed(`no instance called ${instance}`)
  return record
}

/** Every VMM ever made for the instance, in creation order. */
export function vmmsOf(tb: Testbed, instance: string): VmmDbView[] {
  return tb.db.vmms({ instanceId: instanceRecord(tb, instance).id })
}

export function resolveVmm(tb: Testbed, ref: VmmRef): VmmDbView {
  const which = ref.which ?? 'active'
  const record = instanceRecord(tb, ref.instance)
  const all = vmmsOf(tb, ref.instance)
  let id: string | null | undefined
  if (which === 'active') id = record.activePropolisId
  else if (which === 'target') id = record.targetPropolisId
  else if (which === 'last') id = all.at(-1)?.id
  else id = all[which]?.id
  const vmm = id === null || id === undefined ? undefined : tb.db.vmm(id)
  if (vmm === undefined || vmm === null) {
    const known = all.map((v, i) => `#${i} ${v.state}`).join(', ') || 'none'
    throw new StepFailed(`instance ${ref.instance} has no ${typeof which === 'number' ? `VMM #${which}` : `${which} VMM`} (its VMMs: ${known})`)
  }
  return vmm
}

export function sledIdOf(tb: Testbed, sled: string | number): string {
  return tb.sled(sled).id
}

/** `sled-2` for a sled id, for messages. */
export function sledNameOf(tb: Testbed, sledId: string): string {
  return tb.sleds().find((s) => s.id === sledId)?.name ?? sledId
}
