import { describe, expect, it } from 'vitest'
import { transitionVmmRuntime, type VmmRuntimeState } from '../../../nexus/types/vmm-runtime-state.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { generation } from '../../../sim/sled-agent/api/index.ts'

const T0 = Date.UTC(2026, 7, 21, 10)
const T1 = T0 + 5000

const runtime = (state: VmmRuntimeState['state']): VmmRuntimeState => ({ state, generation: generation(4), timeUpdated: T0 })

describe('transitionVmmRuntime', () => {
  it('returns the runtime unchanged when the state is the same', () => {
    const before = runtime(vmmState('running'))

    expect(transitionVmmRuntime(before, vmmState('running'), T1)).toEqual(before)
  })

  it('returns the runtime unchanged when the state is failed with the same reason', () => {
    const before = runtime(failedVmmState('sled_expunged'))

    expect(transitionVmmRuntime(before, failedVmmState('sled_expunged'), T1)).toEqual(before)
  })

  it('bumps the generation and takes the new time on a change of state', () => {
    const after = transitionVmmRuntime(runtime(vmmState('running')), failedVmmState('no_such_instance'), T1)

    expect(after).toEqual({ state: failedVmmState('no_such_instance'), generation: 5, timeUpdated: T1 })
  })

  it('treats a change of failure reason as a change', () => {
    const after = transitionVmmRuntime(runtime(failedVmmState('from_sled_agent')), failedVmmState('no_such_instance'), T1)

    expect(after.generation).toBe(5)
    expect(after.state).toEqual(failedVmmState('no_such_instance'))
  })
})
