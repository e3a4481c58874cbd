// Deleting an instance: the intent becomes destroyed first (so even a refused delete stops
// auto-restart, as in omicron), then the instance-delete saga runs; its refusal is the API error.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`project_destroy_instance`).
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import type { SagaStarter } from '../sagas/saga-types.ts'
import type { NexusSagaServices } from '../sagas/saga-services.ts'
import { instanceDeleteSaga } from '../sagas/instance-delete.ts'
import type { Datastore } from '../db/datastore.ts'
import { internalError, objectNotFound } from './errors.ts'

export async function deleteInstance(db: Datastore, sagas: SagaStarter<NexusSagaServices>, instanceId: InstanceUuid): Promise<void> {
  if (db.instanceSetIntendedState(instanceId, 'destroyed').kind === 'not_found') throw objectNotFound('instance', { id: instanceId })
  const outcome = await sagas.run(instanceDeleteSaga, { instanceId })
  switch (outcome.kind) {
    case 'succeeded':
      return
    case 'unwound':
    case 'stuck':
      throw outcome.error.apiError ?? internalError(outcome.error.message)
  }
}
