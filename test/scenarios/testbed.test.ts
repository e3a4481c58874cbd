// The public API of DESIGN.md §4 through the package root, as an outside suite would use it.
import { describe, expect, it } from 'vitest'
import { createTestbed, NexusApiError, TestbedTimeoutError } from '../../scenarios/index.ts'

const GIB = 1024 ** 3

describe('createTestbed', () => {
  it('starts an instance, reads it in process and over HTTP, and stops it on virtual time', async () => {
    await using tb = await createTestbed({ seed: 7 })
    const created = await tb.nexus.instanceCreate({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true })
    expect(created).toMatchObject({ name: 'db1', ncpus: 2, memory: 4 * GIB, runState: 'starting', autoRestartEnabled: true })
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'running', { timeout: '1m' })
    const record = tb.db.instance('db1')
    expect(record).toMatchObject({ state: 'vmm', intendedState: 'running', updaterId: null })
    expect(tb.db.vmm(record?.activePropolisId ?? '')).toMatchObject({ state: 'running', failureReason: null, timeDeleted: null })

    const response = await tb.fetch('/v1/instances/db1?project=default')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ name: 'db1', run_state: 'running' })

    await tb.nexus.instanceStop('db1')
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'stopped')
    expect(tb.db.provisioning().fleet).toEqual({ cpus: 0, ram: 0 })
    expect(tb.invariants()).toEqual([])
    expect(tb.now()).toMatch(/^2026-08-21T00:00:\d\d/)
  })

  it('rejects a refused call with NexusApiError carrying Omicron’s status and message', async () => {
    await using tb = await createTestbed()
    await tb.nexus.instanceCreate({ name: 'db1', ncpus: 2, memory: 4 * GIB })
    const error = await tb.nexus.instanceReboot('db1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NexusApiError)
    expect(error).toMatchObject({ statusCode: 400, message: expect.stringContaining('stopped') })
  })

  it('names sleds by name, index or id, and rejects an unknown one', async () => {
    await using tb = await createTestbed({ sleds: [{ name: 'left' }, { name: 'right', hardwareThreads: 32 }] })
    expect(tb.sled('right')).toMatchObject({ name: 'right', hardwareThreads: 32 })
    expect(tb.sled(1).id).toBe(tb.sled('right').id)
    expect(tb.sled(tb.sled(0).id).name).toBe('left')
    expect(() => tb.sled('middle')).toThrow(/no sled "middle" \(sleds: left, right/)
  })

  it('rejects runUntil on timeout with the last trace lines', async () => {
    await using tb = await createTestbed()
    const error = await tb.runUntil(() => false, { timeout: '2m' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TestbedTimeoutError)
    expect((error as Error).message).toContain('within 2m of virtual time')
    expect((error as Error).message).toContain('task.activated')
  })

  it('keeps two testbeds in one process apart, and gives each the same trace for the same seed', async () => {
    await using a = await createTestbed({ seed: 3 })
    await using b = await createTestbed({ seed: 3 })
    await Promise.all([
      a.nexus.instanceCreate({ name: 'x', ncpus: 1, memory: GIB, start: true }),
      b.nexus.instanceCreate({ name: 'x', ncpus: 1, memory: GIB, start: true }),
    ])
    await a.advance('1m')
    await b.advance('1m')
    expect(a.nexus.instanceView('x').id).toBe(b.nexus.instanceView('x').id)
    expect(a.traceHash()).toBe(b.traceHash())
    expect(a.nexus.url).not.toBe(b.nexus.url)
  })

  it('refuses work once disposed', async () => {
    const tb = await createTestbed()
    tb.dispose()
    await expect(tb.advance('1s')).rejects.toThrow(/advance failed: the testbed was disposed/)
  })
})

describe('disposing a testbed with work in flight', () => {
  it('stops Nexus, so that no saga calls a host that is gone', async () => {
    const tb = await createTestbed()
    const { unroutedRequests } = await import('../../sim/interception.ts')
    const before = unroutedRequests().length
    const start = tb.nexus.instanceCreate({ name: 'late', ncpus: 1, memory: GIB, start: true }).catch((e: unknown) => e)
    tb.dispose()
    await start
    for (let turn = 0; turn < 100; turn += 1) await Promise.resolve()
    expect(unroutedRequests().slice(before)).toEqual([])
  })
})
