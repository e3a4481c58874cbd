import { describe, expect, it } from 'vitest'
import { layoutLanes } from '../../../scenarios/report/lane-layout.ts'
import type { Lane, LaneModel } from '../../../scenarios/report/lane-model.ts'
import { buildLaneModel } from '../../../scenarios/report/lanes.ts'
import { handRun, handTrace, I1, instanceRow, P1, P2, vmmRow } from './hand-trace.ts'

const lane = (model: LaneModel, id: string): Lane => {
  const found = model.lanes.find((l) => l.id === id)
  if (found === undefined) throw new Error(`no lane ${id} in ${model.lanes.map((l) => l.id).join(', ')}`)
  return found
}
const states = (l: Lane, band: number): (string | null)[] =>
  (l.bands[band]?.segments ?? []).map((s) => (s.state === null ? null : `${s.state}${s.gen === null ? '' : ` g${s.gen}`}`))

describe('buildLaneModel', () => {
  it('puts an instance first and its VMMs after it, named after the instance', () => {
    const trace = handTrace(
      [0, 'db.record', instanceRow('no_vmm', 2, null, 'insert')],
      [0, 'db.record', vmmRow(P1, 'creating', 1, 'insert')],
      [1000, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P2}`, operation: 'vmm_register' }],
    )

    const model = buildLaneModel(handRun(trace, { names: { [I1]: 'db1' } }))

    expect(model.lanes.map((l) => l.id)).toEqual(['nexus', `instance:${I1}`, `vmm:${P1}`, `vmm:${P2}`])
    expect(model.lanes.map((l) => l.label)).toEqual(['Nexus', 'db1', 'db1 · vmm 11111111', 'vmm 22222222'])
  })

  it('shows the instance as a user would see it, with the record generation', () => {
    const trace = handTrace(
      [0, 'db.record', instanceRow('no_vmm', 2, null, 'insert')],
      [0, 'db.record', vmmRow(P1, 'starting', 2, 'insert')],
      [0, 'db.record', instanceRow('vmm', 3, P1)],
      [4000, 'db.record', vmmRow(P1, 'running', 5)],
      [9000, 'db.record', instanceRow('destroyed', 6, null)],
    )

    const model = buildLaneModel(handRun(trace))

    expect(states(lane(model, `instance:${I1}`), 0)).toEqual(['stopped g2', 'starting g3', 'running g3', 'destroyed g6'])
  })

  it("draws a VMM's record and the sled's view in two bands, ending the sled's when it lets go", () => {
    const trace = handTrace(
      [0, 'db.record', vmmRow(P1, 'starting', 2, 'insert')],
      [0, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, phase: 'registered', state: 'starting', gen: 2 }],
      [0, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, phase: 'ensuring', state: 'starting', gen: 2 }],
      [4000, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, phase: 'active', state: 'running', gen: 5 }],
      [4000, 'db.record', vmmRow(P1, 'running', 5)],
      [9000, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, phase: 'deregistered', state: 'destroyed', gen: 9 }],
    )

    const vmm = lane(buildLaneModel(handRun(trace)), `vmm:${P1}`)

    expect(vmm.bands.map((b) => b.name)).toEqual(['nexus', 'sled'])
    expect(states(vmm, 0)).toEqual(['starting g2', 'running g5'])
    expect(states(vmm, 1)).toEqual(['starting g2', 'running g5', null])
    expect(vmm.caption).toBe('VMM on sled-1')
  })

  it('falls back to the updates Nexus recorded when a trace has no VMM rows', () => {
    const trace = handTrace(
      [0, 'nexus.vmm_update', { propolis: P1, state: 'starting', gen: 2, outcome: 'recorded' }],
      [1, 'nexus.vmm_update', { propolis: P1, state: 'starting', gen: 1, outcome: 'ignored' }],
      [2, 'nexus.vmm_update', { propolis: P1, state: 'destroyed', gen: 9, outcome: 'needs_instance_update' }],
    )

    expect(states(lane(buildLaneModel(handRun(trace)), `vmm:${P1}`), 0)).toEqual(['starting g2', 'destroyed g9'])
  })

  it("puts a saga's nodes on its instance's lane, marking failures and undos, under a span with its outcome", () => {
    const trace = handTrace(
      [0, 'saga.started', { saga: 's1', name: 'instance_start', instance: I1 }],
      [0, 'saga.node', { saga: 's1', name: 'instance_start', node: 'alloc-server', event: 'started' }],
      [0, 'saga.node', { saga: 's1', name: 'instance_start', node: 'alloc-server', event: 'succeeded' }],
      [0, 'saga.node', { saga: 's1', name: 'instance_start', node: 'ensure-running', event: 'failed', error: 'boom' }],
      [0, 'saga.node', { saga: 's1', name: 'instance_start', node: 'alloc-server', event: 'undo_finished' }],
      [0, 'saga.finished', { saga: 's1', name: 'instance_start', outcome: 'unwound', failed_node: 'ensure-running' }],
    )

    const instance = lane(buildLaneModel(handRun(trace)), `instance:${I1}`)

    expect(instance.marks.map((m) => [m.shape, m.tone, m.seq])).toEqual([
      ['saga_node', 'ok', 2],
      ['saga_node', 'failed', 3],
      ['saga_node', 'undo', 4],
    ])
    expect(instance.marks[1]?.title).toContain('instance_start · ensure-running: failed (boom)')
    expect(instance.spans).toMatchObject([{ saga: 's1', name: 'instance_start', outcome: 'unwound' }])
    expect(instance.spans[0]?.title).toContain('ended unwound at ensure-running')
  })

  it('puts a saga with no instance, task runs, crashes and restarts on the Nexus lane', () => {
    const trace = handTrace(
      [0, 'saga.started', { saga: 's1', name: 'orphan' }],
      [0, 'saga.node', { saga: 's1', name: 'orphan', node: 'only', event: 'succeeded' }],
      [30_000, 'task.activated', { task: 'instance_watcher', reason: 'period' }],
      [30_000, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'GET', path: `/vmms/${P1}/state`, operation: 'vmm_get_state' }],
      [30_000, 'http.response', { exchange: 0, status: 200 }],
      [30_000, 'task.finished', { task: 'instance_watcher', status: { errors: [] } }],
      [31_000, 'task.activated', { task: 'instance_updater', reason: 'on_demand' }],
      [31_000, 'saga.started', { saga: 's2', name: 'instance-update' }],
      [31_000, 'task.finished', { task: 'instance_updater', status: { sagas_started: 1 } }],
      [40_000, 'nexus.crashed', { reason: 'test', sagas: [] }],
      [41_000, 'nexus.restarted', { incarnation: 2, sagas: [] }],
    )

    const nexus = lane(buildLaneModel(handRun(trace)), 'nexus')

    expect(nexus.marks.map((m) => [m.shape, m.tone])).toEqual([
      ['saga_node', 'ok'],
      ['task', 'quiet'],
      ['task', 'info'],
      ['crash', 'failed'],
      ['restart', 'ok'],
    ])
    expect(nexus.spans.map((s) => s.name)).toEqual(['orphan', 'instance-update'])
  })

  it("puts an HTTP call on the VMM its path names, toned by its answer, and rings the one a fault answered", () => {
    const trace = handTrace(
      [0, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P1}`, operation: 'vmm_register' }],
      [0, 'http.response', { exchange: 0, status: 200 }],
      [0, 'http.request', { exchange: 1, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P1}/state`, operation: 'vmm_put_state' }],
      [0, 'fault.injected', { fault: 1, target: 'sled-agent', operation: 'vmm_put_state', propolis: P1, respond: '500 boom' }],
      [0, 'http.response', { exchange: 1, status: 500, cause: 'fault 1' }],
      [1, 'http.request', { exchange: 2, from: 'sled-agent:sled-1', to: 'nexus', method: 'PUT', path: `/vmms/${P1}`, operation: 'cpapi_instances_put' }],
      [2, 'http.request', { exchange: 3, from: 'nexus', to: 'sled-agent:sled-1', method: 'GET', path: `/vmms/${P1}/state`, operation: 'vmm_get_state' }],
      [2, 'http.response', { exchange: 3, status: 404 }],
    )

    const vmm = lane(buildLaneModel(handRun(trace)), `vmm:${P1}`)

    expect(vmm.marks.map((m) => [m.shape, m.tone, m.label])).toEqual([
      ['http_call', 'ok', ''],
      ['http_call', 'fault', '500'],
      ['fault', 'fault', '⚡'],
      ['http_upcall', 'pending', '…'],
      ['http_call', 'warn', '404'],
    ])
    expect(vmm.marks[1]?.title).toContain(`PUT /vmms/${P1}/state → 500 (fault 1: 500 boom)`)
  })

  it('places violations by their subject, and anything else on the scenario lane', () => {
    const trace = handTrace([0, 'db.record', vmmRow(P1, 'running', 5, 'insert')], [5000, 'note', { text: 'hello' }])
    const violations = [
      { invariant: 'generation_monotonic', at: 3000, subject: `vmm ${P1}`, message: 'gen went back' },
      { invariant: 'no_request_leaves', at: 4000, subject: 'http://example.com/', message: 'left' },
    ] as const

    const model = buildLaneModel(handRun(trace, { violations }))

    expect(lane(model, `vmm:${P1}`).marks.map((m) => [m.shape, m.seq])).toEqual([['violation', null]])
    expect(lane(model, 'scenario').marks.map((m) => m.shape)).toEqual(['violation', 'note'])
    expect(model.ticks.map((t) => ('seq' in t ? `e${t.seq}` : `v${t.violation}`))).toEqual(['e0', 'v0', 'v1', 'e1'])
  })

  it('places an event of an unknown kind by the ids it carries', () => {
    const trace = handTrace([0, 'future.thing', { propolis: P1 }], [1, 'future.other', { text: 'no ids' }])

    const model = buildLaneModel(handRun(trace))

    expect(lane(model, `vmm:${P1}`).marks.map((m) => [m.shape, m.title.split('\n')[0]])).toEqual([['event', 'future.thing']])
    expect(lane(model, 'scenario').marks.map((m) => m.title.split('\n')[0])).toEqual(['future.other'])
  })

  it('remembers the lane of events it does not draw, for the event table', () => {
    const trace = handTrace(
      [0, 'db.record', vmmRow(P1, 'starting', 2, 'insert')],
      [0, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P1}`, operation: 'vmm_register' }],
      [0, 'http.response', { exchange: 0, status: 200 }],
      [0, 'saga.node', { saga: 's9', name: 'x', node: 'n', event: 'started' }],
    )

    const model = buildLaneModel(handRun(trace, { names: { [I1]: 'db1' } }))

    expect([...model.laneOf]).toEqual([
      [0, 'db1 · vmm 11111111'],
      [1, 'db1 · vmm 11111111'],
      [2, 'db1 · vmm 11111111'],
      [3, 'Nexus'],
    ])
  })

  it('stamps titles with virtual time and the timestamp it stands for', () => {
    const model = buildLaneModel(handRun(handTrace([1500, 'note', { text: 'x' }])))

    expect(lane(model, 'scenario').marks[0]?.title).toContain('t=1.500s · 2025-01-01T00:00:01.500Z')
  })
})

describe('layoutLanes', () => {
  it('stands ticks of one instant side by side and widens gaps with the time between instants', () => {
    const trace = handTrace(
      [0, 'note', { text: 'a' }],
      [0, 'note', { text: 'b' }],
      [100, 'note', { text: 'c' }],
      [60_100, 'note', { text: 'd' }],
    )

    const { x } = layoutLanes(buildLaneModel(handRun(trace)), 0)

    const [a = 0, b = 0, c = 0, d = 0] = x
    expect(b - a).toBe(10)
    expect(d - c).toBeGreaterThan(c - b)
  })

  it('keeps ticks on different rows in one slot when nothing forces them apart', () => {
    const trace = handTrace([0, 'note', { text: 'a' }], [0, 'db.record', vmmRow(P1, 'running', 5, 'insert')])

    const { x } = layoutLanes(buildLaneModel(handRun(trace)), 0)

    expect(x[0]).toBe(x[1])
  })

  it('stretches a short run to the width asked for', () => {
    const model = buildLaneModel(handRun(handTrace([0, 'note', { text: 'a' }], [1000, 'note', { text: 'b' }])))

    expect(layoutLanes(model, 0).width).toBeLessThan(200)
    expect(layoutLanes(model, 400).width).toBeGreaterThan(370)
    expect(layoutLanes(model, 400).width).toBeLessThanOrEqual(400)
  })
})
