// Looking instances up as the external API does (by name within the project, or by id) and
// building their views from the record and its live active VMM.
import { UUID_PATTERN, typedUuid, type InstanceUuid, type ProjectUuid } from '../../sim/kernel/ids.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceRecord } from '../db/records.ts'
import { instanceViewFromRecords, type InstanceView } from '../types/instance-view.ts'
import { objectNotFound } from './errors.ts'

/** The instance named `nameOrId` in the project, or a 404 as the external API gives it. */
export function lookupInstance(db: Datastore, projectId: ProjectUuid, nameOrId: string): InstanceRecord {
  if (UUID_PATTERN.test(nameOrId)) {
    const byId = db.instanceGet(typedUuid('instance', nameOrId))
    if (byId === null) throw objectNotFound('instance', { id: nameOrId.toLowerCase() })
    return byId
  }
  const byName = db.instanceGetByName(projectId, nameOrId)
  if (byName === null) throw objectNotFound('instance', { name: nameOrId })
  return byName
}

export function viewInstance(db: Datastore, instanceId: InstanceUuid): InstanceView {
  const found = db.instanceFetchWithVmm(instanceId)
  if (found === null) throw objectNotFound('instance', { id: instanceId })
  return instanceViewFromRecords({ instance: found.instance, activeVmm: found.vmm })
}

/** Every live instance of the project, in creation order. */
export function listInstances(db: Datastore, projectId: ProjectUuid): InstanceView[] {
  return db.instanceList({ projectId }).map((row) => viewInstance(db, row.id))
}
