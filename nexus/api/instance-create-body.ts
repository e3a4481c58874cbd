// The `InstanceCreate` body of POST /v1/instances, checked at the edge: the fields the testbed uses,
// with the Oxide API's patterns and defaults (`start` defaults to true). Other documented fields
// (disks, NICs, IPs, SSH keys, ...) are accepted and ignored.
// Simplification: the resources behind those other fields do not exist in the testbed.
import { z } from 'zod'

const NAME = /^(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)^[a-z]([a-zA-Z0-9-]*[a-zA-Z0-9]+)?$/
const HOSTNAME = /^([a-zA-Z0-9]+[a-zA-Z0-9-]*(?<!-))(\.[a-zA-Z0-9]+[a-zA-Z0-9-]*(?<!-))*$/

export const InstanceCreateBodySchema = z.object({
  name: z.string().max(63).regex(NAME),
  description: z.string(),
  hostname: z.string().min(1).max(253).regex(HOSTNAME),
  ncpus: z.int().min(0).max(65_535),
  memory: z.int().min(0),
  start: z.boolean().default(true),
  auto_restart_policy: z.enum(['never', 'best_effort']).nullable().default(null),
  /** Names or ids of anti-affinity groups in the project. */
  anti_affinity_groups: z.array(z.string().min(1)).default([]),
})
export type InstanceCreateBody = z.output<typeof InstanceCreateBodySchema>
