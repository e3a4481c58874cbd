// What a caller of a crashed Nexus gets: the error every in-process call rejects with while Nexus is
// down (or when the Nexus serving it dies before it answers), the guard that makes a dead
// incarnation's services refuse work, and the stable front that always reaches the live one.
import { NexusApiError } from './app/errors.ts'
import { NexusCrashedError } from './sagas/saga-errors.ts'

// Simplification: a client of a dead Nexus sees its connection refused or dropped, with no status at
// all; in process there is no connection, so the call rejects with a 503, the status a load balancer
// in front of Nexus would answer with.
/** `<operation> failed: nexus is down (<why>)`, a 503 ServiceNotAvailable. */
export function nexusDownError(operation: string, why: string): NexusApiError {
  return new NexusApiError(503, 'ServiceNotAvailable', `${operation} failed: nexus is down (${why})`)
}

/** What the front needs from whoever serves a call. */
export interface Serving<T> {
  readonly service: T
  /** False once this server died; read again when the call settles. */
  readonly up: boolean
  /** The error a call to this server gets once it is dead. */
  refusal(operation: string): NexusApiError
}

/**
 * A copy of `deps` whose every read first calls `check` (which throws while the owner is dead), so a
 * service built over it refuses work the way it would fail on any error: synchronous methods throw,
 * async ones reject.
 */
export function guardedDeps<D extends object>(deps: D, check: () => void): D {
  return new Proxy(deps, {
    get(target, key, receiver) {
      check()
      return Reflect.get(target, key, receiver) as unknown
    },
  })
}

/**
 * A stable object that forwards each call to whatever `serving()` returns at call time (the live
 * incarnation's service). A call whose server died before it settled rejects with that server's
 * refusal, whatever it was going to answer; so does one that failed because its sagas were cut off.
 */
// A Proxy rather than a hand-written class: the service grows methods (migrate, ...) that the front
// must forward without being edited each time.
export function liveFront<T extends object>(name: string, serving: () => Serving<T>): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const server = serving()
      const value: unknown = Reflect.get(server.service, key, server.service)
      if (typeof value !== 'function') return value
      const operation = `${name}.${String(key)}`
      return (...args: unknown[]): unknown => {
        let result: unknown
        try {
          result = Reflect.apply(value, server.service, args)
        } catch (error) {
          // A synchronous call (a view, say) on a dead server: its guard threw.
          if (!server.up) throw server.refusal(operation)
          throw error
        }
        if (!(result instanceof Promise)) return result
        return result.then(
          (answer: unknown) => {
            if (!server.up) throw server.refusal(operation)
            return answer
          },
          (error: unknown) => {
            if (!server.up || error instanceof NexusCrashedError) throw server.refusal(operation)
            throw error
          },
        )
      }
    },
  })
}
