import { describe, expect, it } from 'vitest'
import { World } from './harness.ts'
import { SCENARIOS } from './scenarios.ts'

describe('what a propolis-server publishes', () => {
  it.each(SCENARIOS.filter((s) => s.expected !== undefined))('$name', async ({ run, expected }) => {
    // Arrange
    const world = new World()

    // Act
    const servers = await run(world)

    // Assert
    for (const [name, sequence] of Object.entries(expected ?? {})) {
      const server = servers[name]
      expect(server, name).toBeDefined()
      if (server !== undefined) expect(world.sequence(server), name).toEqual(sequence)
    }
  })
})
