// How omicron's `Error` displays (its `#[error(...)]` strings): the text logs and background-task
// statuses show, which carries the internal message a caller never sees.
// Mirrors: omicron common/src/api/external/error.rs@b848b6d (`impl Display for Error`).
import type { NexusApiError } from './errors.ts'

// Simplification: the variants are recovered from the error code; not-found and already-exists
// errors show their external message instead of omicron's debug-formatted lookup.
export function displayNexusError(error: NexusApiError): string {
  const internal = error.internalMessage
  switch (error.errorCode) {
    case 'Internal':
      return `Internal Error: ${internal}`
    case 'ServiceNotAvailable':
      return `Service Unavailable: ${internal}`
    case 'InsufficientCapacity':
      return `Insufficient Capacity: ${internal.replace(/^Insufficient capacity: /, '')}`
    case 'InvalidRequest':
      return `Invalid Request: ${internal}`
    case 'Conflict':
      return `Conflict: ${internal}`
    case 'Gone':
      return 'Gone'
    default:
      return internal
  }
}
