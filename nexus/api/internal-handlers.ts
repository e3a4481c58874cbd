// Nexus's internal API as MSW handlers: `cpapi_instances_put` (PUT /vmms/{propolis_id}, body
// SledVmmState, 204) and the proposed body-less doorbell (POST /vmms/{propolis_id}/doorbell, 204).
// Both hand the VMM to the state intake, the only path by which reported state enters Nexus.
// Mirrors: omicron nexus/src/internal_api/http_entrypoints.rs@b848b6d.
import { http } from 'msw'
import { InvalidIdError, typedUuid, type PropolisUuid } from '../../sim/kernel/ids.ts'
import { SledVmmStateSchema, type SledVmmState } from '../../sim/sled-agent/api/index.ts'
import { internalError, NexusApiError } from '../app/errors.ts'

/** What the internal API needs from Nexus. Both reject with a NexusApiError. */
export interface VmmStateIntake {
  /** The upcall: process the state the sled-agent sent. */
  acceptUpcall(propolisId: PropolisUuid, state: SledVmmState): Promise<void>
  /** The doorbell: pull the VMM's state from its sled-agent and process that. */
  ringDoorbell(propolisId: PropolisUuid): Promise<void>
}

export function nexusInternalHandlers(baseUrl: string, intake: VmmStateIntake, requestId: () => string) {
  const fail = (error: NexusApiError) => Response.json(error.body(requestId()), { status: error.statusCode })
  const badRequest = (message: string) => Response.json({ request_id: requestId(), message }, { status: 400 })
  const propolisIdOf = (raw: unknown): PropolisUuid | Response => {
    try {
      return typedUuid('propolis', String(raw))
    } catch (error) {
      if (error instanceof InvalidIdError) return badRequest(`bad parameter in URL path: propolis_id: invalid UUID '${String(raw)}'`)
      throw error
    }
  }
  const run = async (work: () => Promise<void>): Promise<Response> => {
    try {
      await work()
      return new Response(null, { status: 204 })
    } catch (error) {
      return fail(error instanceof NexusApiError ? error : internalError(String(error)))
    }
  }

  return [
    http.put(`${baseUrl}/vmms/:propolis_id`, async ({ params, request }) => {
      const propolisId = propolisIdOf(params['propolis_id'])
      if (propolisId instanceof Response) return propolisId
      let json: unknown
      try {
        json = JSON.parse(await request.text())
      } catch {
        return badRequest('unable to parse JSON body: expected value (the body is not JSON)')
      }
      const parsed = SledVmmStateSchema.safeParse(json)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        return badRequest(`unable to parse JSON body: ${issue?.path.join('.') || '.'}: ${issue?.message ?? 'invalid body'}`)
      }
      return run(() => intake.acceptUpcall(propolisId, parsed.data))
    }),
    http.post(`${baseUrl}/vmms/:propolis_id/doorbell`, ({ params }) => {
      const propolisId = propolisIdOf(params['propolis_id'])
      if (propolisId instanceof Response) return propolisId
      return run(() => intake.ringDoorbell(propolisId))
    }),
  ]
}
