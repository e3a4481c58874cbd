// The saga definitions by name: what a restarted Nexus looks up to resume the sagas in its log, as
// steno's SagaTemplate registry does. It stands for the code, so it survives a crash of the executor.
// Mirrors: omicron nexus/src/app/sagas/mod.rs (ACTION_REGISTRY, the list of all sagas)@b848b6d.
import type { SagaDef, SagaOutputs } from './saga-types.ts'

/** Calls back with a registered definition, keeping its own params and outputs types. */
export type WithSagaDef<S> = <R>(use: <P, O extends SagaOutputs>(def: SagaDef<P, O, S>) => R) => R

export class SagaRegistryError extends Error {
  override readonly name = 'SagaRegistryError'
}

export class SagaRegistry<S> {
  // Each entry hides its def's params and outputs types behind a callback, so one map holds every saga.
  readonly #entries = new Map<string, { readonly def: object; readonly open: WithSagaDef<S> }>()

  /** Adds `def`; registering the same def again is a no-op, another def with its name is an error. */
  register<P, O extends SagaOutputs>(def: SagaDef<P, O, S>): void {
    const existing = this.#entries.get(def.name)
    if (existing !== undefined) {
      if (existing.def === def) return
      throw new SagaRegistryError(`saga register failed: another saga is already registered as ${def.name}`)
    }
    checkNodeNames(def)
    this.#entries.set(def.name, { def, open: (use) => use(def) })
  }

  has(name: string): boolean {
    return this.#entries.has(name)
  }

  /** The registered saga called `name`, opened with `use`; throws if there is none. */
  open<R>(name: string, use: <P, O extends SagaOutputs>(def: SagaDef<P, O, S>) => R): R {
    const entry = this.#entries.get(name)
    if (entry === undefined) throw new SagaRegistryError(`saga lookup failed: no saga registered as ${name}`)
    return entry.open(use)
  }

  /** Registered names in registration order. */
  names(): string[] {
    return [...this.#entries.keys()]
  }
}

/** A saga needs at least one node, and its node names must be unique (the log keys events by them). */
export function checkNodeNames<P, O extends SagaOutputs, S>(def: SagaDef<P, O, S>): void {
  if (def.nodes.length === 0) throw new SagaRegistryError(`saga register failed: ${def.name} has no nodes`)
  const seen = new Set<string>()
  for (const node of def.nodes) {
    if (seen.has(node.name)) throw new SagaRegistryError(`saga register failed: ${def.name} has two nodes called ${node.name}`)
    seen.add(node.name)
  }
}
