// The sled-agent's handler table: one MSW handler per operation of SLED_AGENT_ROUTES, so an
// operation without a handler is a type error.
import type { SledAgentOperation } from '../api/index.ts'
import type { SimSled } from '../sled.ts'
import { vmmGetState } from './vmm-get-state.ts'
import { vmmPutState } from './vmm-put-state.ts'
import { vmmRegister } from './vmm-register.ts'
import { vmmUnregister } from './vmm-unregister.ts'

const HANDLERS = {
  vmm_register: vmmRegister,
  vmm_unregister: vmmUnregister,
  vmm_put_state: vmmPutState,
  vmm_get_state: vmmGetState,
} as const satisfies Record<SledAgentOperation, (sled: SimSled) => unknown>

export function sledAgentHandlers(sled: SimSled) {
  return Object.values(HANDLERS).map((make) => make(sled))
}
