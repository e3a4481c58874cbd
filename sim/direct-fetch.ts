// `directFetch`: the testbed's `transport: 'direct'`. Requests to simulated hosts go straight to the
// network that serves them (sim/interception.ts `deliver`), with the same reachability, faults,
// handlers and trace as under MSW's interception, and the caller gets what MSW's fetch would give
// it, on the same microtask turn, so that concurrent work keeps its order and the trace its bytes.
import { deliver, microtaskHops, TEED_BODY } from './interception.ts'

/**
 * `fetch` for simulated hosts without global interception: the request goes straight to the
 * SimNetwork that serves its host (so the same reachability, faults, trace and handlers apply), and
 * the caller sees what MSW's fetch would give it: the handler's response, `TypeError('Failed to
 * fetch')` for a network error, the signal's reason once it aborts, and a 500 for a handler that
 * throws. A host that is not simulated is refused and counted as unrouted: nothing leaves the process.
 */
export async function directFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : null)
  // The handlers never look at the signal, and a Request that follows one costs twice as much to make.
  const request = new TeedBodyRequest(input, signal === null ? init : { ...init, signal: null })
  if (signal?.aborted === true) throw signal.reason
  await microtaskHops(HOPS_BEFORE_HANDLER)
  const work = deliver(request)
  const raw = await untilAborted(
    // MSW takes two more turns to turn a handler's exception into its 500.
    work.catch(async (error: unknown) => {
      await undefined
      return serverErrorResponse(error)
    }),
    signal,
  )
  await microtaskHops(HOPS_AFTER_HANDLER)
  if (raw.type === 'error') throw Object.assign(new TypeError('Failed to fetch'), { cause: raw })
  const head = { status: raw.status, statusText: raw.statusText, headers: raw.headers }
  return raw.body === null ? new Response(null, head) : new TeedBodyResponse(raw.body, head)
}

/**
 * MSW hands the caller the handler's body through a tee (it keeps the other branch for logging),
 * and reading a teed body takes one microtask turn more than reading the body itself. Rather than
 * tee (which costs more than the rest of a call), this response takes that turn in its readers.
 */
class TeedBodyResponse extends Response {}

/** The same for a request body, which msw's getResponse tees before the handler reads it. */
class TeedBodyRequest extends Request {
  readonly [TEED_BODY] = true
}

for (const Teed of [TeedBodyResponse, TeedBodyRequest]) {
  for (const reader of ['text', 'json', 'arrayBuffer', 'blob', 'formData'] as const) {
    const read = Object.getPrototypeOf(Teed.prototype)[reader] as (this: Request | Response) => Promise<unknown>
    Object.defineProperty(Teed.prototype, reader, {
      value(this: Request | Response): Promise<unknown> {
        return read.call(this).then((value) => value)
      },
      writable: true,
      configurable: true,
    })
  }
}

// Everything in a testbed that happens at one virtual instant is ordered by the microtask queue, so
// a transport that answered in fewer microtask turns than MSW would reorder concurrent work and
// change the trace. These are the turns MSW 2's fetch interception spends before it calls the
// handler, after the handler answers, and after an abort; test/scenarios/transport.test.ts checks that the catalogue
// traces the same bytes under both transports, and fails if an MSW upgrade changes them.
const HOPS_BEFORE_HANDLER = 1
const HOPS_AFTER_HANDLER = 23
const HOPS_AFTER_ABORT = 8


// Settles on the same turn with or without a signal; an abort rejects as many turns later as
// MSW's fetch takes to notice it.
function untilAborted(work: Promise<Response>, signal: AbortSignal | null): Promise<Response> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => void microtaskHops(HOPS_AFTER_ABORT).then(() => reject(signal?.reason))
    signal?.addEventListener('abort', onAbort, { once: true })
    void work.then((response) => {
      signal?.removeEventListener('abort', onAbort)
      resolve(response)
    })
  })
}

// What MSW's interceptor answers when a handler throws (its `createServerErrorResponse`).
function serverErrorResponse(error: unknown): Response {
  const body = error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error
  return new Response(JSON.stringify(body), { status: 500, statusText: 'Unhandled Exception', headers: { 'Content-Type': 'application/json' } })
}
