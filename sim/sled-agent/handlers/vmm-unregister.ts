// DELETE /vmms/{propolis_id} (`vmm_unregister`): 200 `{updated_runtime}`, null for an unknown VMM.
import { http } from 'msw'
import type { SimSled } from '../sled.ts'
import { propolisIdFromPath } from './respond.ts'

export function vmmUnregister(sled: SimSled) {
  return http.delete(`${sled.url}/vmms/:propolis_id`, async ({ params }) => {
    const propolisId = propolisIdFromPath(sled, params['propolis_id'])
    if (!propolisId.ok) return propolisId.response
    const state = await sled.vmms.unregister(propolisId.value)
    return Response.json({ updated_runtime: state })
  })
}
