import { describe, expect, it } from 'vitest'
import type { TraceEvent } from '../../../sim/kernel/trace.ts'
import { World } from './harness.ts'
import { invariantViolations, type PublishedEvent } from './invariants.ts'
import { FAULT_CASES, runFaultCase } from './migration-scenarios.ts'
import { SCENARIOS } from './scenarios.ts'

const p = (gen: number, state: PublishedEvent['state'], migration_in: PublishedEvent['migration_in'] = null, migration_out: PublishedEvent['migration_out'] = null): PublishedEvent => ({
  gen,
  state,
  migration_in,
  migration_out,
})

/** Each server's publishes in the world's trace, by propolis id. */
function publishesByServer(world: World): Map<string, PublishedEvent[]> {
  const byServer = new Map<string, PublishedEvent[]>()
  for (const event of world.trace.events()) {
    if (event.kind !== 'propolis.published') continue
    const published = event as TraceEvent<'propolis.published'>
    byServer.set(published.propolis, [...(byServer.get(published.propolis) ?? []), published])
  }
  return byServer
}

describe('the invariant checker', () => {
  it.each([
    ['a skipped gen', [p(1, 'Creating'), p(3, 'Starting')], 'gen 3: gen does not follow 1 by exactly 1'],
    ['a state after Destroyed', [p(1, 'Creating'), p(2, 'Destroyed'), p(3, 'Running')], 'gen 3: Running published after Destroyed'],
    ['a state after Failed', [p(1, 'Creating'), p(2, 'Failed'), p(3, 'Running')], 'gen 3: Running published after Failed'],
    ['Starting on a migration target', [p(1, 'Migrating', 'Sync'), p(2, 'Starting', 'Finish')], 'gen 2: Starting published on a migration target'],
    ['Stopped on a migrated-out source', [p(1, 'Running'), p(2, 'Migrating', null, 'Finish'), p(3, 'Stopped', null, 'Finish')], 'gen 3: Stopped published on a migrated-out source'],
    ['Repairing', [p(1, 'Creating'), p(2, 'Repairing')], 'gen 2: Repairing published'],
  ] as const)('catches %s', (_what, publishes, violation) => {
    expect(invariantViolations(publishes)).toContain(violation)
  })

  it('accepts a target that publishes Failed again after rundown, and a new VM at gen 1', () => {
    const publishes = [p(1, 'Migrating', 'Sync'), p(2, 'Migrating', 'Error'), p(3, 'Failed', 'Error'), p(4, 'Failed', 'Error'), p(1, 'Creating')]

    expect(invariantViolations(publishes)).toEqual([])
  })
})

describe('every scenario', () => {
  it.each(SCENARIOS)('keeps the invariants: $name', async ({ run }) => {
    // Arrange
    const world = new World()

    // Act
    await run(world)

    // Assert
    const byServer = publishesByServer(world)
    expect(byServer.size).toBeGreaterThan(0)
    for (const [propolis, publishes] of byServer) expect(invariantViolations(publishes), propolis).toEqual([])
  })

  it.each(FAULT_CASES)('keeps the invariants when the $side fails at $phase', async (fault) => {
    // Arrange
    const world = new World()

    // Act
    await runFaultCase(world, fault)

    // Assert
    for (const [propolis, publishes] of publishesByServer(world)) expect(invariantViolations(publishes), propolis).toEqual([])
  })
})
