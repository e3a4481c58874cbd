import { describe, expect, it } from 'vitest'
import type { InstanceGestalt } from '../../../nexus/db/instance-queries.ts'
import type { InstanceRecord, MigrationRecord, VmmRecord } from '../../../nexus/db/records.ts'
import { shouldReincarnate, updatesRequiredFor } from '../../../nexus/sagas/update-required.ts'
import { VMM_FAILURE_REASONS, type VmmFailureReason } from '../../../nexus/types/vmm-failure-reason.ts'
import type { VmmRecordState } from '../../../nexus/types/vmm-record.ts'
import { IdSource } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'
import { generation, type MigrationState } from '../../../sim/sled-agent/api/index.ts'

const T0 = 1_000_000
const NOW = 2_000_000
const ids = new IdSource(new Rng('update-required').fork('ids'))
const SOURCE = ids.uuid('propolis')
const TARGET = ids.uuid('propolis')
const MIGRATION = ids.uuid('migration')
const INSTANCE = ids.uuid('instance')

function vmm(id: VmmRecord['id'], state: VmmRecordState, reason: VmmFailureReason | null = state === 'failed' ? 'from_sled_agent' : null): VmmRecord {
  return { id, instanceId: INSTANCE, sledId: ids.uuid('sled'), propolisIp: 'fd00::1', propolisPort: 12400, cpuPlatform: 'amd_milan', state, failureReason: reason, gen: generation(3), timeStateUpdated: T0, timeCreated: T0, timeDeleted: null }
}

function migration(sourceState: MigrationState, targetState: MigrationState): MigrationRecord {
  return { id: MIGRATION, instanceId: INSTANCE, sourcePropolisId: SOURCE, targetPropolisId: TARGET, sourceState, sourceGen: generation(2), timeSourceUpdated: T0, targetState, targetGen: generation(2), timeTargetUpdated: T0, timeCreated: T0, timeDeleted: null }
}

interface Snapshot {
  readonly active?: VmmRecordState | VmmRecord | null
  readonly target?: VmmRecordState | null
  readonly migration?: MigrationRecord | null
  readonly intent?: InstanceRecord['intendedState']
  /** The instance's active id, when it differs from the source (after a source-only completion). */
  readonly activeId?: VmmRecord['id']
}

function snapshot(s: Snapshot): InstanceGestalt {
  const activeVmm = s.active === undefined || s.active === null ? null : typeof s.active === 'string' ? vmm(s.activeId ?? SOURCE, s.active) : s.active
  const targetVmm = s.target === undefined || s.target === null ? null : vmm(TARGET, s.target)
  const instance: InstanceRecord = {
    id: INSTANCE, name: 'db1', description: '', projectId: ids.uuid('project'), ncpus: 2, memory: 1024 ** 3, hostname: 'db1',
    state: activeVmm === null ? 'no_vmm' : 'vmm', gen: generation(7), timeStateUpdated: T0,
    activePropolisId: activeVmm?.id ?? null, targetPropolisId: targetVmm?.id ?? null, migrationId: s.migration?.id ?? null,
    timeLastAutoRestarted: null, updaterId: ids.uuid('updater'), updaterGen: generation(4), intendedState: s.intent ?? 'running',
    autoRestartPolicy: null, autoRestartCooldownMs: null, cpuPlatform: null, timeCreated: T0, timeModified: T0, timeDeleted: null,
  }
  return { instance, activeVmm, targetVmm, migration: s.migration ?? null }
}

const migrating = { active: 'running', target: 'running' } as const

describe('updatesRequiredFor', () => {
  it.each<[string, Snapshot]>([
    ['no VMM at all', {}],
    ['a running active VMM', { active: 'running' }],
    ['a stopping active VMM', { active: 'stopping' }],
    ['an active VMM whose start saga unwound (saga_unwound is not terminal)', { active: 'saga_unwound' }],
    ['a migration with both sides pending', { ...migrating, migration: migration('pending', 'pending') }],
    ['a migration in progress', { ...migrating, migration: migration('in_progress', 'in_progress') }],
    ['a source-only completion already applied', { active: 'running', activeId: TARGET, target: 'running', migration: migration('completed', 'in_progress') }],
  ])('asks for nothing with %s', (_label, s) => {
    expect(updatesRequiredFor(snapshot(s), NOW)).toBeNull()
  })

  it('unlinks a destroyed active VMM: no_vmm, provisioning released, VMM destroyed, intent guest_shutdown', () => {
    expect(updatesRequiredFor(snapshot({ active: 'destroyed' }), NOW)).toEqual({
      newRuntime: { state: 'no_vmm', gen: 8, timeStateUpdated: NOW, activePropolisId: null, targetPropolisId: null, migrationId: null, timeLastAutoRestarted: null },
      newIntent: 'guest_shutdown',
      destroyActiveVmm: SOURCE,
      destroyTargetVmm: null,
      deprovision: true,
      migrationReservationSwap: null,
    })
  })

  it.each(['stopped', 'guest_shutdown', 'destroyed'] as const)('leaves an intent of %s alone when the active VMM is destroyed', (intent) => {
    expect(updatesRequiredFor(snapshot({ active: 'destroyed', intent }), NOW)).toMatchObject({ newIntent: null, newRuntime: { state: 'no_vmm' } })
  })

  it.each(VMM_FAILURE_REASONS)('fails the instance when its active VMM failed with reason %s, leaving the intent', (reason) => {
    const update = updatesRequiredFor(snapshot({ active: vmm(SOURCE, 'failed', reason) }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'failed', activePropolisId: null }, newIntent: null, destroyActiveVmm: SOURCE, deprovision: true })
  })

  it('clears the ids and destroys the target when the target side of a migration failed', () => {
    const update = updatesRequiredFor(snapshot({ active: 'running', target: 'failed', migration: migration('in_progress', 'failed') }), NOW)

    expect(update).toMatchObject({
      newRuntime: { state: 'vmm', activePropolisId: SOURCE, targetPropolisId: null, migrationId: null },
      destroyActiveVmm: null,
      destroyTargetVmm: TARGET,
      deprovision: false,
      migrationReservationSwap: null,
    })
  })

  it('clears the ids when the source side failed, leaving a live target to the sled and the reaper', () => {
    const update = updatesRequiredFor(snapshot({ active: 'running', target: 'running', migration: migration('failed', 'in_progress') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'vmm', activePropolisId: SOURCE, targetPropolisId: null, migrationId: null }, destroyTargetVmm: null })
  })

  it('clears the ids an unwound migrate saga left (saga_unwound target, both sides failed)', () => {
    const update = updatesRequiredFor(snapshot({ active: 'running', target: 'saga_unwound', migration: migration('failed', 'failed') }), NOW)

    expect(update).toMatchObject({ newRuntime: { activePropolisId: SOURCE, targetPropolisId: null, migrationId: null }, destroyTargetVmm: null, deprovision: false })
  })

  it('ends with no VMM, intent untouched, when a migration failed and the source was destroyed', () => {
    const update = updatesRequiredFor(snapshot({ active: 'destroyed', target: 'destroyed', migration: migration('failed', 'failed') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'no_vmm', activePropolisId: null, targetPropolisId: null, migrationId: null }, newIntent: null, destroyActiveVmm: SOURCE, destroyTargetVmm: TARGET, deprovision: true })
  })

  it('makes the target active but keeps the ids when only the source reports the migration completed', () => {
    const update = updatesRequiredFor(snapshot({ ...migrating, migration: migration('completed', 'in_progress') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'vmm', activePropolisId: TARGET, targetPropolisId: TARGET, migrationId: MIGRATION }, deprovision: false, migrationReservationSwap: null })
  })

  it('makes the target active, clears the ids and swaps the reservations when the target reports completion', () => {
    const update = updatesRequiredFor(snapshot({ ...migrating, migration: migration('completed', 'completed') }), NOW)

    expect(update).toMatchObject({
      newRuntime: { state: 'vmm', activePropolisId: TARGET, targetPropolisId: null, migrationId: null },
      destroyActiveVmm: null,
      deprovision: false,
      migrationReservationSwap: { sourcePropolisId: SOURCE, targetPropolisId: TARGET },
    })
  })

  it('also destroys a source that was destroyed after migrating out, without a guest_shutdown intent', () => {
    const update = updatesRequiredFor(snapshot({ active: 'destroyed', target: 'running', migration: migration('completed', 'completed') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'vmm', activePropolisId: TARGET, migrationId: null }, newIntent: null, destroyActiveVmm: SOURCE, deprovision: false })
  })

  it('ends with no VMM when the migration completed but the target is terminal too, with no reservation swap', () => {
    const update = updatesRequiredFor(snapshot({ active: 'running', target: 'destroyed', migration: migration('completed', 'completed') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'no_vmm', activePropolisId: null, targetPropolisId: null, migrationId: null }, destroyTargetVmm: TARGET, deprovision: true, migrationReservationSwap: null })
  })

  it('ends with no VMM, keeping the ids, when the target is destroyed before it reports a source-only completion', () => {
    const update = updatesRequiredFor(snapshot({ active: 'running', target: 'destroyed', migration: migration('completed', 'in_progress') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'no_vmm', activePropolisId: null, targetPropolisId: null, migrationId: MIGRATION }, destroyTargetVmm: TARGET, deprovision: true })
  })

  it('clears the ids of a completed migration whose target is no longer linked, where omicron would panic', () => {
    const update = updatesRequiredFor(snapshot({ migration: migration('completed', 'in_progress') }), NOW)

    expect(update).toMatchObject({ newRuntime: { state: 'no_vmm', activePropolisId: null, targetPropolisId: null, migrationId: null }, destroyTargetVmm: null })
  })
})

describe('shouldReincarnate', () => {
  const unlocked = (s: InstanceGestalt, patch: Partial<InstanceRecord>): InstanceGestalt => ({ ...s, instance: { ...s.instance, updaterId: null, ...patch } })

  it('hands a failed instance that is meant to run to reincarnation', () => {
    expect(shouldReincarnate(unlocked(snapshot({}), { state: 'failed' }), NOW)).toBe(true)
  })

  it('hands over an instance pointing at a saga_unwound VMM', () => {
    expect(shouldReincarnate(unlocked(snapshot({ active: 'saga_unwound' }), {}), NOW)).toBe(true)
  })

  it.each<[string, Partial<InstanceRecord>]>([
    ['a stopped instance', { state: 'no_vmm' }],
    ['an instance meant to be stopped', { state: 'failed', intendedState: 'stopped' }],
    ['a policy of never', { state: 'failed', autoRestartPolicy: 'never' }],
    ['an instance still cooling down', { state: 'failed', timeLastAutoRestarted: NOW - 1000 }],
  ])('keeps %s where it is', (_label, patch) => {
    expect(shouldReincarnate(unlocked(snapshot({}), patch), NOW)).toBe(false)
  })
})
