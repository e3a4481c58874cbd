// The propolis-server scenarios the tests share: each drives one or two servers on a fresh world and
// names what each server must publish. The invariant test runs all of them (and the fault matrix).
import type { PropolisServer } from '../../../sim/propolis/server.ts'
import { runningServer, startRunning, type Scenario } from './harness.ts'
import { MIGRATION_SCENARIOS } from './migration-scenarios.ts'

const BOOT = ['Creating', 'Starting', 'Running']
const HALT = ['Stopping', 'Stopped', 'Destroyed']

const LIFECYCLE_SCENARIOS: readonly Scenario[] = [
  {
    name: 'a start publishes Creating, Starting, Running',
    run: async (w) => ({ vm: await runningServer(w) }),
    expected: { vm: BOOT },
  },
  {
    name: 'a Stop while running publishes Stopping, Stopped, then Destroyed after rundown',
    run: async (w) => {
      const vm = await runningServer(w)
      await vm.putState('Stop')
      await w.runFor()
      return { vm }
    },
    expected: { vm: [...BOOT, ...HALT] },
  },
  {
    name: 'a Stop before the start goes from Creating through Stopping and Stopped to Destroyed',
    run: async (w) => {
      const vm = w.server()
      void vm.ensure({ kind: 'spec' })
      await w.clock.advance(500)
      await vm.putState('Stop')
      await w.runFor()
      return { vm }
    },
    expected: { vm: ['Creating', ...HALT] },
  },
  {
    name: 'a Stop during the start aborts it with Stopped and no Stopping',
    run: async (w) => {
      const vm = w.server()
      void vm.ensure({ kind: 'spec' })
      await w.clock.advance(500)
      await vm.putState('Run')
      await w.clock.advance(1000)
      await vm.putState('Stop')
      await w.runFor()
      return { vm }
    },
    expected: { vm: ['Creating', 'Starting', 'Stopped', 'Destroyed'] },
  },
  {
    name: 'a start that fails publishes nothing until rundown, then Failed',
    run: async (w) => {
      const vm = w.server()
      vm.failNextStart()
      void vm.ensure({ kind: 'spec' })
      await w.clock.advance(500)
      await vm.putState('Run')
      await w.runFor()
      return { vm }
    },
    expected: { vm: ['Creating', 'Starting', 'Failed'] },
  },
  {
    name: 'an init failure publishes Failed at once',
    run: async (w) => {
      const vm = w.server()
      vm.failNextInit()
      void vm.ensure({ kind: 'spec' })
      await w.runFor()
      return { vm }
    },
    expected: { vm: ['Creating', 'Failed'] },
  },
  ...(
    [
      ['a Reboot request', (vm: PropolisServer) => void vm.putState('Reboot')],
      ['a guest reset', (vm: PropolisServer) => vm.guestReboot()],
      ['a triple fault', (vm: PropolisServer) => vm.tripleFault()],
    ] as const
  ).map(
    ([what, act]): Scenario => ({
      name: `${what} publishes Rebooting, then Running`,
      run: async (w) => {
        const vm = await runningServer(w)
        act(vm)
        await w.runFor()
        return { vm }
      },
      expected: { vm: [...BOOT, 'Rebooting', 'Running'] },
    }),
  ),
  {
    name: 'a guest halt publishes Stopping, Stopped, Destroyed',
    run: async (w) => {
      const vm = await runningServer(w)
      vm.guestShutdown()
      await w.runFor()
      return { vm }
    },
    expected: { vm: [...BOOT, ...HALT] },
  },
  {
    name: 'a queued Reboot runs before a later Stop',
    run: async (w) => {
      const vm = await runningServer(w)
      await vm.putState('Reboot')
      await vm.putState('Stop')
      await w.runFor()
      return { vm }
    },
    expected: { vm: [...BOOT, 'Rebooting', 'Running', ...HALT] },
  },
  {
    name: 'a crash publishes nothing more, whether or not the process restarts',
    run: async (w) => {
      const restarts = await runningServer(w)
      const never = w.server({ restartAfterCrashMs: null })
      await startRunning(w, never)
      restarts.crash()
      never.crash()
      await w.runFor()
      return { restarts, never }
    },
    expected: { restarts: BOOT, never: BOOT },
  },
  {
    name: 'a hung stop stays Stopping until unhang lets it finish',
    run: async (w) => {
      const vm = await runningServer(w)
      vm.hang(['stop'])
      await vm.putState('Stop')
      await w.clock.advance(600_000)
      vm.unhang()
      await w.runFor()
      return { vm }
    },
    expected: { vm: [...BOOT, ...HALT] },
  },
]

export const SCENARIOS: readonly Scenario[] = [...LIFECYCLE_SCENARIOS, ...MIGRATION_SCENARIOS]
