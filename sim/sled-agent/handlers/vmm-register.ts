// PUT /vmms/{propolis_id} (`vmm_register`): 200 with the VMM's SledVmmState as the sled now holds it.
import { http } from 'msw'
import { InstanceEnsureBodySchema } from '../api/index.ts'
import type { SimSled } from '../sled.ts'
import { fromReply, jsonBody, propolisIdFromPath } from './respond.ts'

export function vmmRegister(sled: SimSled) {
  return http.put(`${sled.url}/vmms/:propolis_id`, async ({ params, request }) => {
    const propolisId = propolisIdFromPath(sled, params['propolis_id'])
    if (!propolisId.ok) return propolisId.response
    const body = await jsonBody(sled, request, InstanceEnsureBodySchema)
    if (!body.ok) return body.response
    return fromReply(sled, sled.vmms.register(propolisId.value, body.value), (state) => state)
  })
}
