import { describe, expect, it } from 'vitest'
import {
  INSTANCE_RECORD_STATES,
  INSTANCE_STATES,
  instanceRecordStateFromLabel,
  instanceRecordStateLabel,
  instanceStateFromRecordState,
  NOT_INCARNATED_INSTANCE_STATES,
  type InstanceRecordState,
  type InstanceState,
} from '../../../nexus/types/instance-state.ts'
import { expectKeysCover } from '../../support/covers.ts'

// omicron-model.md §4.1: Display label and the direct external mapping (used only with no VMM row).
const RECORD_STATES = {
  creating: ['creating', 'creating'],
  no_vmm: ['no_VMM', 'stopped'],
  vmm: ['VMM', 'running'],
  failed: ['failed', 'failed'],
  destroyed: ['destroyed', 'destroyed'],
} as const satisfies Record<InstanceRecordState, readonly [string, InstanceState]>

describe('instance record states', () => {
  it('has a row for every record state', () => {
    expectKeysCover(RECORD_STATES, INSTANCE_RECORD_STATES)
  })

  it.each(Object.entries(RECORD_STATES))('%s displays as %j and maps directly to the external state', (state, [label, external]) => {
    expect(instanceRecordStateLabel(state as InstanceRecordState)).toBe(label)
    expect(instanceStateFromRecordState(state as InstanceRecordState)).toBe(external)
  })

  it('parses labels case-insensitively and rejects unknown ones', () => {
    expect(instanceRecordStateFromLabel('no_VMM')).toBe('no_vmm')
    expect(instanceRecordStateFromLabel('VMM')).toBe('vmm')
    expect(instanceRecordStateFromLabel('FAILED')).toBe('failed')
    expect(instanceRecordStateFromLabel('saga_unwound')).toBeUndefined()
  })

  it('names the states with no VMM incarnated', () => {
    expect([...NOT_INCARNATED_INSTANCE_STATES].sort()).toEqual(['creating', 'failed', 'no_vmm'])
  })
})

describe('external InstanceState', () => {
  it('has the ten values of the Oxide API', async () => {
    const { readFile } = await import('node:fs/promises')
    const doc = JSON.parse(await readFile(new URL('../../../../shared/reference/openapi/nexus-external.json', import.meta.url), 'utf8')) as {
      components: { schemas: { InstanceState: { oneOf: { enum: string[] }[] } } }
    }
    const fromOpenApi = doc.components.schemas.InstanceState.oneOf.flatMap((member) => member.enum)

    expect([...INSTANCE_STATES].sort()).toEqual(fromOpenApi.sort())
  })
})
