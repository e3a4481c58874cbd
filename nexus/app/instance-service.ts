// The instance operations behind both the in-process API and the Oxide HTTP API, in the one project
// every testbed has. Each takes the instance by name or id and answers with its view; every failure
// is a NexusApiError. Create and start arrive with their sagas (issue 5).
import type { ProjectUuid } from '../../sim/kernel/ids.ts'
import type { Datastore } from '../db/datastore.ts'
import type { NexusSagaServices } from '../sagas/saga-services.ts'
import type { SagaStarter } from '../sagas/saga-types.ts'
import { deleteInstance } from './instance-delete.ts'
import type { InstanceView } from '../types/instance-view.ts'
import { listInstances, lookupInstance, viewInstance } from './instance-lookup.ts'
import { requestInstanceState, type InstanceRequestDeps } from './instance-requests.ts'

export interface InstanceServiceDeps extends InstanceRequestDeps {
  readonly db: Datastore
  readonly projectId: ProjectUuid
  readonly sagas: SagaStarter<NexusSagaServices>
}

export class InstanceService {
  readonly #deps: InstanceServiceDeps

  constructor(deps: InstanceServiceDeps) {
    this.#deps = deps
  }

  get projectId(): ProjectUuid {
    return this.#deps.projectId
  }

  view(nameOrId: string): InstanceView {
    const { db, projectId } = this.#deps
    return viewInstance(db, lookupInstance(db, projectId, nameOrId).id)
  }

  list(): InstanceView[] {
    return listInstances(this.#deps.db, this.#deps.projectId)
  }

  async stop(nameOrId: string): Promise<InstanceView> {
    return this.#request(nameOrId, 'stop')
  }

  async reboot(nameOrId: string): Promise<InstanceView> {
    return this.#request(nameOrId, 'reboot')
  }

  async delete(nameOrId: string): Promise<void> {
    const { db, projectId, sagas } = this.#deps
    await deleteInstance(db, sagas, lookupInstance(db, projectId, nameOrId).id)
  }

  // Omicron answers 202 with the instance re-read after the action.
  async #request(nameOrId: string, requested: 'stop' | 'reboot'): Promise<InstanceView> {
    const { db, projectId } = this.#deps
    const instance = lookupInstance(db, projectId, nameOrId)
    await requestInstanceState(this.#deps, instance.id, requested)
    return viewInstance(db, instance.id)
  }
}
