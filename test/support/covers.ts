// Table tests name every member of a union: this fails when a table misses a member (or lists one
// that no longer exists), so adding a state fails a test until someone maps it.
import { expect } from 'vitest'

export function expectKeysCover(table: object, members: readonly string[]): void {
  expect(Object.keys(table).sort()).toEqual([...members].sort())
}
