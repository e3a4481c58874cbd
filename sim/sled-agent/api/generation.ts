// `Generation` (sled-agent and nexus-internal OpenAPI: integer, uint64): the counter behind every
// "newer wins" check. A new generation is 1; `next` adds 1; newer means strictly greater.
import { z } from 'zod'
import type { Brand } from '../../kernel/ids.ts'

export type Generation = Brand<number, 'generation'>

// Simplification: Omicron's generation is a u64 capped at 2^63-1; ours is a JS number capped at
// 2^53-1. No simulated run gets within many orders of magnitude of either.
export const GenerationSchema = z
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .transform((n) => n as Generation)

/** The generation of every new record and VMM. */
export const INITIAL_GENERATION = 1 as Generation

export function generation(n: number): Generation {
  return GenerationSchema.parse(n)
}

export function nextGeneration(g: Generation): Generation {
  return (g + 1) as Generation
}

/** Omicron's check everywhere: an update applies only if `stored < incoming`. */
export function isNewerGeneration(incoming: Generation, stored: Generation): boolean {
  return stored < incoming
}
