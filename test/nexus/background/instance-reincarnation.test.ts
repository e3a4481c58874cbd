import { describe, expect, it } from 'vitest'
import { conflict, insufficientCapacity } from '../../../nexus/app/errors.ts'
import { instanceReincarnation, type AutoRestartOutcome } from '../../../nexus/background/instance-reincarnation.ts'
import type { InstanceRecord } from '../../../nexus/db/records.ts'

const SUCCEEDED: AutoRestartOutcome = { kind: 'succeeded' }
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, T0, testDb, type TestDb } from '../db/db-fixtures.ts'

function failedInstance(t: TestDb, name: string, options: { policy?: 'never' | 'best_effort'; lastRestart?: number; intent?: 'running' | 'stopped' } = {}) {
  const created = t.db.instanceInsert({
    id: t.ids.uuid('instance'),
    name,
    projectId: t.projectId,
    ncpus: 2,
    memory: 1024 ** 3,
    hostname: name,
    intendedState: options.intent ?? 'running',
    autoRestartPolicy: options.policy ?? null,
  })
  if (created.kind !== 'inserted') throw new Error(created.kind)
  const row = created.instance
  const outcome = t.db.instanceUpdateRuntime(row.id, { ...row, state: 'failed', gen: nextGeneration(row.gen), timeLastAutoRestarted: options.lastRestart ?? null })
  if (outcome.kind !== 'updated') throw new Error(outcome.kind)
  return outcome.instance
}

const clockAt = (ms: number) => () => ms

describe('the instance-reincarnation task', () => {
  it('restarts failed instances and those left with an unwound start, whose intent is running', async () => {
    const t = testDb()
    const failed = failedInstance(t, 'failed')
    const { instance: unwound } = addRunningInstance(t, 'unwound', vmmState('saga_unwound'))
    failedInstance(t, 'wants-stopped', { intent: 'stopped' })
    const started: InstanceUuid[] = []

    const status = await instanceReincarnation(t.db, clockAt(T0), async ({ id }) => {
      started.push(id)
      return SUCCEEDED
    }).activate()

    expect(started).toEqual([failed.id, unwound.id])
    expect(status).toEqual({ instances_found: { failed: 1, saga_unwound: 1 }, instances_reincarnated: [failed.id, unwound.id], changed_state: [], restart_errors: [] })
  })

  it('respects the never policy and the cooldown (default 5 minutes) since the last auto-restart', async () => {
    const t = testDb()
    failedInstance(t, 'never', { policy: 'never' })
    const cooling = failedInstance(t, 'cooling', { lastRestart: T0 })
    const started: InstanceUuid[] = []
    const restart = async ({ id }: InstanceRecord) => {
      started.push(id)
      return SUCCEEDED
    }

    await instanceReincarnation(t.db, clockAt(T0 + 299_999), restart).activate()
    const beforeCooldown = [...started]
    await instanceReincarnation(t.db, clockAt(T0 + 300_000), restart).activate()

    expect(beforeCooldown).toEqual([])
    expect(started).toEqual([cooling.id])
  })

  it('counts a start that lost a race as changed state and any other failure as an error', async () => {
    const t = testDb()
    const a = failedInstance(t, 'a')
    const b = failedInstance(t, 'b')
    const [first, second] = [a, b].sort((x, y) => (x.id < y.id ? -1 : 1))
    const restart = async ({ id }: InstanceRecord): Promise<AutoRestartOutcome> => ({
      kind: 'failed',
      sagaId: `saga-${id === first?.id ? 1 : 2}`,
      error: id === first?.id ? conflict('instance changed state before it could be started') : insufficientCapacity('No sleds can fit the requested instance'),
    })

    const status = await instanceReincarnation(t.db, clockAt(T0), restart).activate()

    expect(status).toMatchObject({ instances_reincarnated: [], changed_state: [first?.id], restart_errors: ['instance-start saga saga-2 for instance failed: Insufficient Capacity: No sleds can fit the requested instance'] })
  })

  it('starts pages of 16 together, in id order, reading the next page only once a page has ended', async () => {
    const t = testDb()
    const ids = Array.from({ length: 20 }, (_, i) => failedInstance(t, `i${i}`).id).sort()
    let inFlight = 0
    let most = 0
    const began: string[] = []
    const restart = async ({ id }: InstanceRecord): Promise<AutoRestartOutcome> => {
      began.push(id)
      inFlight += 1
      most = Math.max(most, inFlight)
      await Promise.resolve()
      inFlight -= 1
      return SUCCEEDED
    }

    const status = await instanceReincarnation(t.db, clockAt(T0), restart).activate()

    expect(most).toBe(16)
    expect(began).toEqual(ids)
    expect(status).toMatchObject({ instances_found: { failed: 20, saga_unwound: 0 }, instances_reincarnated: ids })
  })

  it('reports a saga that could not be started with the reason, as omicron words it', async () => {
    const t = testDb()
    failedInstance(t, 'a')
    const status = await instanceReincarnation(t.db, clockAt(T0), async () => {
      throw new Error('saga instance_start refused: nexus crashed (test)')
    }).activate()
    expect(status).toMatchObject({ restart_errors: ['failed to start instance-start saga for Failed instance: saga instance_start refused: nexus crashed (test)'] })
  })
})
