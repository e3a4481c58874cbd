// GET /vmms/{propolis_id}/state (`vmm_get_state`): 200 SledVmmState, 404 NO_SUCH_INSTANCE when unknown.
import { http } from 'msw'
import type { SimSled } from '../sled.ts'
import { fromReply, propolisIdFromPath } from './respond.ts'

export function vmmGetState(sled: SimSled) {
  return http.get(`${sled.url}/vmms/:propolis_id/state`, async ({ params }) => {
    const propolisId = propolisIdFromPath(sled, params['propolis_id'])
    if (!propolisId.ok) return propolisId.response
    return fromReply(sled, await sled.vmms.getState(propolisId.value), (state) => state)
  })
}
