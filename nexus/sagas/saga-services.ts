// What Nexus's sagas are given to work with (the executor's `services`): the datastore, the ids,
// the behaviour flags, the state intake, and a sled-agent client per sled. Sagas reach sleds only
// through these clients; the clock, the trace and child sagas come with the SagaContext.
import type { IdSource, SledUuid } from '../../sim/kernel/ids.ts'
import type { SledAgentClient } from '../app/sled-agent-client.ts'
import type { VmmIntake } from '../app/vmm-intake.ts'
import type { Datastore } from '../db/datastore.ts'
import type { NexusFlags } from '../nexus-config.ts'

export interface NexusSagaServices {
  readonly db: Datastore
  readonly ids: IdSource
  readonly flags: NexusFlags
  /** Write-backs of sled-agent responses, and `markVmmFailed`. */
  readonly intake: VmmIntake
  sledClient(sledId: SledUuid): SledAgentClient
}
