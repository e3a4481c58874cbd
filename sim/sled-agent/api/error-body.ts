// Dropshot's error body, shared by the sled-agent and Nexus APIs: `{request_id, error_code?,
// message}`, with `message` and `request_id` required.
import { z } from 'zod'

export const ErrorBodySchema = z.object({
  request_id: z.string(),
  error_code: z.string().optional(),
  message: z.string(),
})
export type ErrorBody = z.infer<typeof ErrorBodySchema>

/** The error code with which the sled-agent says a VMM is gone (404) or going (410). */
export const NO_SUCH_INSTANCE = 'NO_SUCH_INSTANCE'
/** The error code of a 503 when a VMM's request queue is full. */
export const INSTANCE_CHANNEL_FULL = 'INSTANCE_CHANNEL_FULL'
