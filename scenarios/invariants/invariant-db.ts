// What the invariant checker may read from Nexus's datastore: named read queries only, never a
// write. A real `Datastore` is one; a test may hand in a view that bends a read to fake a state.
import type { Datastore } from '../../nexus/db/datastore.ts'

export type InvariantDb = Pick<
  Datastore,
  | 'instanceList'
  | 'vmmGet'
  | 'vmmListAbandoned'
  | 'sledList'
  | 'sledReservationList'
  | 'sledReservationGet'
  | 'provisioningRead'
  | 'sagaGet'
  | 'readView'
>
