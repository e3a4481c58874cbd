// PUT /vmms/{propolis_id}/state (`vmm_put_state`): 200 `{updated_runtime}` (never null on success).
import { http } from 'msw'
import { VmmPutStateBodySchema } from '../api/index.ts'
import type { SimSled } from '../sled.ts'
import { fromReply, jsonBody, propolisIdFromPath } from './respond.ts'

export function vmmPutState(sled: SimSled) {
  return http.put(`${sled.url}/vmms/:propolis_id/state`, async ({ params, request }) => {
    const propolisId = propolisIdFromPath(sled, params['propolis_id'])
    if (!propolisId.ok) return propolisId.response
    const body = await jsonBody(sled, request, VmmPutStateBodySchema)
    if (!body.ok) return body.response
    const reply = await sled.vmms.putState(propolisId.value, body.value.state)
    return fromReply(sled, reply, (state) => ({ updated_runtime: state }))
  })
}
