import { describe, expect, it } from 'vitest'
import { BackgroundDriver, type BackgroundTask } from '../../../nexus/background/driver.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { Trace } from '../../../sim/kernel/trace.ts'

/** A task whose activations take `ms` of virtual time and count themselves. */
function slowTask(clock: VirtualClock, ms: number): BackgroundTask & { activations: number[] } {
  const activations: number[] = []
  return {
    name: 'slow',
    activations,
    async activate() {
      activations.push(clock.elapsed())
      await clock.sleep(ms)
      return { count: activations.length }
    },
  }
}

describe('BackgroundDriver', () => {
  it('activates a task once per period on the virtual clock', async () => {
    const clock = new VirtualClock()
    const driver = new BackgroundDriver(clock, new Trace(clock))
    const task = slowTask(clock, 0)
    driver.register(task, 30_000)

    await clock.advance(95_000)

    expect(task.activations).toEqual([30_000, 60_000, 90_000])
    expect(driver.lastStatus('slow')).toEqual({ count: 3 })
  })

  it('never runs two activations of one task at once, and runs once more for requests that came meanwhile', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    const driver = new BackgroundDriver(clock, trace)
    const task = slowTask(clock, 10_000)
    driver.register(task, 600_000)

    const first = driver.activate('slow')
    await clock.advance(1_000)
    const second = driver.activate('slow')
    const third = driver.activate('slow')
    await clock.advance(30_000)

    expect(task.activations).toEqual([0, 10_000])
    expect(await first).toEqual({ count: 2 })
    expect(await second).toEqual({ count: 2 })
    expect(await third).toEqual({ count: 2 })
    expect(trace.lines().filter((l) => l.includes('task.activated'))).toHaveLength(2)
  })

  it('traces the re-run with the reason that asked for it: a period tick during an on-demand run is a period', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    const driver = new BackgroundDriver(clock, trace)
    driver.register(slowTask(clock, 10_000), 5_000)

    await clock.advance(4_000)
    void driver.activate('slow')
    await clock.advance(12_000)

    expect(trace.lines().filter((l) => l.includes('task.activated')).map((l) => l.trim())).toEqual([
      '4.000s  task.activated  task=slow  reason=on_demand',
      '14.000s  task.activated  task=slow  reason=period',
    ])
  })

  it('stops its periods when Nexus dies, and refuses unknown or duplicate tasks', async () => {
    const clock = new VirtualClock()
    const driver = new BackgroundDriver(clock, new Trace(clock))
    const task = slowTask(clock, 0)
    driver.register(task, 1_000)

    driver.stop()
    await clock.advance(10_000)

    expect(task.activations).toEqual([])
    expect(() => driver.activate('nope')).toThrow(/no background task named nope/)
    expect(() => driver.register(task, 1_000)).toThrow(/already registered/)
  })
})
