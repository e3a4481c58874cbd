import { describe, expect, it } from 'vitest'
import { externalInstanceFromView, instanceViewFromRecords, type InstanceViewInput } from '../../../nexus/types/instance-view.ts'
import { openApiSchema } from '../../support/openapi.ts'
import { referenceAvailable, validate } from '../../support/openapi-validate.ts'

const T = Date.UTC(2026, 7, 21, 10)
const instance: InstanceViewInput['instance'] = {
  id: '0b5e4d2a-4a4c-4a8e-9d0b-3c1f2e9a7b11',
  name: 'db1',
  description: 'a database',
  projectId: '66666666-6666-4666-8666-666666666666',
  ncpus: 4,
  memory: 8 * 1024 ** 3,
  hostname: 'db1',
  state: 'vmm',
  migrationId: null,
  timeCreated: T,
  timeModified: T + 1,
  timeStateUpdated: T + 2,
  autoRestartPolicy: null,
  autoRestartCooldownMs: null,
  timeLastAutoRestarted: null,
}

describe('instanceViewFromRecords', () => {
  it('takes the run state and its time from the live active VMM', () => {
    const view = instanceViewFromRecords({ instance, activeVmm: { state: 'running', timeDeleted: null, timeStateUpdated: T + 9 } })

    expect(view).toMatchObject({ runState: 'running', timeRunStateUpdated: '2026-08-21T10:00:00.009Z', autoRestartEnabled: true, autoRestartPolicy: null })
  })

  it('falls back to the instance time when the active VMM row is soft-deleted', () => {
    const view = instanceViewFromRecords({ instance, activeVmm: { state: 'running', timeDeleted: T + 5, timeStateUpdated: T + 9 } })

    expect(view).toMatchObject({ runState: 'stopped', timeRunStateUpdated: '2026-08-21T10:00:00.002Z' })
  })

  it('disables auto-restart only for the never policy, and shows the cooldown expiry even after it passed', () => {
    const never = instanceViewFromRecords({ instance: { ...instance, state: 'failed', autoRestartPolicy: 'never' }, activeVmm: null })
    const restarted = instanceViewFromRecords({ instance: { ...instance, state: 'no_vmm', timeLastAutoRestarted: T, autoRestartCooldownMs: 60_000 }, activeVmm: null })
    const defaultCooldown = instanceViewFromRecords({ instance: { ...instance, state: 'no_vmm', timeLastAutoRestarted: T }, activeVmm: null })

    expect(never).toMatchObject({ runState: 'failed', autoRestartEnabled: false, autoRestartPolicy: 'never' })
    expect(restarted.autoRestartCooldownExpiration).toBe('2026-08-21T10:01:00.000Z')
    expect(defaultCooldown.autoRestartCooldownExpiration).toBe('2026-08-21T10:05:00.000Z')
    expect(restarted.timeLastAutoRestarted).toBe('2026-08-21T10:00:00.000Z')
  })
})

describe.skipIf(!referenceAvailable('nexus-external'))('externalInstanceFromView', () => {
  it('produces an Instance that the Oxide OpenAPI document accepts', () => {
    const view = instanceViewFromRecords({ instance, activeVmm: { state: 'starting', timeDeleted: null, timeStateUpdated: T } })

    expect(validate('nexus-external', openApiSchema('nexus-external', 'Instance'), externalInstanceFromView(view))).toEqual([])
  })
})
