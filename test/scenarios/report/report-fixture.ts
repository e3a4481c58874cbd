// Realistic report input: two runs of the full system (Nexus, sleds, Propolis over MSW), assembled
// into a CatalogueReport by hand as the scenario runner would: a clean lifecycle, and a run with
// injected faults, a VMM lost behind Nexus's back, and a violation written in for the report.
import type { CatalogueReport, ScenarioRunReport } from '../../../scenarios/report/report-model.ts'
import { createFullWorld, type FullWorld } from '../../support/full-world.ts'

const GIB = 1024 ** 3

export async function lifecycleRun(): Promise<ScenarioRunReport> {
  return withWorld(async (w) => {
    const { nexus, h } = w
    w.trace.record('note', { text: 'create db1 and start it' })
    const created = await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await w.clock.advance(10_000)
    w.trace.record('note', { text: 'stop, then delete' })
    await h.settleCall(nexus.instances.stop('db1'))
    await w.clock.advance(10_000)
    await h.settleCall(nexus.instances.delete('db1'))
    return run(w, { name: 'lifecycle', description: 'db1 is created, started, stopped and deleted', seed: 1, names: { [created.id]: 'db1' } })
  })
}

export async function faultsRun(): Promise<ScenarioRunReport> {
  return withWorld(async (w) => {
    const { nexus, h } = w
    const created = await h.settleCall(nexus.instances.create({ name: 'web', ncpus: 2, memory: 4 * GIB, start: false }))
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })
    h.network.faults.inject({ target: 'nexus-internal', operation: 'cpapi_instances_put', times: 1, respond: 'network_error' })
    await h.settleCall(nexus.instances.start('web')).catch(() => undefined)
    await w.clock.advance(5_000)
    await h.settleCall(nexus.instances.start('web'))
    await w.clock.advance(10_000)
    const live = nexus.db.vmmList({ instanceId: created.id as never }).find((v) => v.state === 'running')
    if (live === undefined) throw new Error('no running VMM to lose')
    h.sleds.find((s) => s.id === live.sledId)?.forgetVmm(live.id)
    await h.settleCall(nexus.activate('instance_watcher'))
    await w.clock.advance(10_000)
    return run(w, {
      name: 'faults and a lost VMM',
      description: 'a start unwinds on a 500, the next start survives a lost upcall, and the watcher finds the VMM the sled forgot',
      seed: 7,
      names: { [created.id]: 'web' },
      passed: false,
      failures: [{ step: 4, kind: 'assertInstance', message: 'expected web to be running at 15s, found starting' }],
      violations: [{ invariant: 'generation_monotonic', at: 16_000, subject: `instance ${created.id}`, message: 'gen went from 5 to 4 (written by hand for the report test)' }],
    })
  })
}

export async function catalogue(): Promise<CatalogueReport> {
  return { title: 'report fixture', scenarios: [await lifecycleRun(), await faultsRun()] }
}

async function withWorld<T>(use: (w: FullWorld) => Promise<T>): Promise<T> {
  const w = createFullWorld()
  try {
    return await use(w)
  } finally {
    w.dispose()
  }
}

type RunFields = Pick<ScenarioRunReport, 'name' | 'description' | 'seed'> & Partial<Pick<ScenarioRunReport, 'passed' | 'failures' | 'violations' | 'names'>>

function run(w: FullWorld, fields: RunFields): ScenarioRunReport {
  const sledNames = Object.fromEntries(w.h.sleds.map((s) => [s.id, s.name]))
  return {
    passed: true,
    failures: [],
    violations: [],
    expectedViolations: [],
    ...fields,
    names: { ...sledNames, ...fields.names },
    endedAt: w.clock.elapsed(),
    epochMs: w.clock.epoch,
    trace: w.trace.events(),
    traceHash: w.trace.hash(),
  }
}
