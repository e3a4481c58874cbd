// What every sled-agent handler shares: dropshot's extraction errors for a bad path parameter or
// body (400, no error code, the parse error as the message), and the translation of a runner's
// reply into a Response.
import type { z } from 'zod'
import { InvalidIdError, typedUuid, type PropolisUuid } from '../../kernel/ids.ts'
import type { SledVmmState } from '../api/index.ts'
import type { RunnerReply } from '../runner-reply.ts'
import type { SimSled } from '../sled.ts'

export type Extracted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: Response }

export function errorResponse(sled: SimSled, status: number, errorCode: string | undefined, message: string): Response {
  const body = errorCode === undefined ? { request_id: sled.requestId(), message } : { request_id: sled.requestId(), error_code: errorCode, message }
  return Response.json(body, { status })
}

export function propolisIdFromPath(sled: SimSled, raw: unknown): Extracted<PropolisUuid> {
  try {
    return { ok: true, value: typedUuid('propolis', String(raw)) }
  } catch (error) {
    if (!(error instanceof InvalidIdError)) throw error
    return { ok: false, response: errorResponse(sled, 400, undefined, `bad parameter in URL path: propolis_id: invalid UUID '${String(raw)}'`) }
  }
}

/** Reads and validates a JSON body as dropshot does: JSON unless another content type is named. */
export async function jsonBody<S extends z.ZodType>(sled: SimSled, request: Request, schema: S): Promise<Extracted<z.output<S>>> {
  const contentType = request.headers.get('content-type')
  const mime = contentType?.split(';')[0]?.trim().toLowerCase()
  if (mime !== undefined && mime !== 'application/json') {
    return { ok: false, response: errorResponse(sled, 400, undefined, `expected content type "application/json", got "${mime}"`) }
  }
  const text = await request.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    const detail = text.trim() === '' ? 'EOF while parsing a value at line 1 column 0' : 'expected value (the body is not JSON)'
    return { ok: false, response: errorResponse(sled, 400, undefined, `unable to parse JSON body: ${detail}`) }
  }
  const parsed = schema.safeParse(json)
  if (parsed.success) return { ok: true, value: parsed.data }
  return { ok: false, response: errorResponse(sled, 400, undefined, `unable to parse JSON body: ${describeIssue(parsed.error.issues[0])}`) }
}

// Simplification: serde's wording is approximated (path, then what was wrong); line and column
// numbers are not reproduced.
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid body'
  const path = issue.path.length === 0 ? '.' : issue.path.join('.')
  const last = String(issue.path[issue.path.length - 1] ?? '')
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `${path}: missing field \`${last}\`` : `${path}: invalid type: ${typeof issue.input}, expected ${issue.expected}`
    case 'invalid_value':
      return `${path}: unknown variant \`${String(issue.input)}\`, expected one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}`
    case 'invalid_union':
      return `${path}: unknown variant, expected one of the documented variants`
    default:
      return `${path}: ${issue.message}`
  }
}

/** A runner's reply as HTTP: 200 with the body `wrap` makes of the state, a dropshot error, or a dropped connection. */
export function fromReply(sled: SimSled, reply: RunnerReply, wrap: (state: SledVmmState) => unknown): Response {
  switch (reply.kind) {
    case 'state':
      return Response.json(wrap(reply.state))
    case 'error':
      return errorResponse(sled, reply.status, reply.errorCode, reply.message)
    case 'dropped':
      return Response.error()
  }
}
