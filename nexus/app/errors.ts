// The errors Nexus returns to API callers: Omicron's external `Error` variants with the HTTP
// status, error code and external message each becomes. Every failed public call rejects with a
// `NexusApiError`. Mirrors: omicron common/src/api/external/error.rs@b848b6d (`From<Error> for HttpError`).

/** What an API caller sees: the HTTP status, dropshot's `error_code`, and the external message. */
export class NexusApiError extends Error {
  override readonly name = 'NexusApiError'
  readonly statusCode: number
  readonly errorCode: string | undefined
  /** What Nexus would log; the caller only sees `message`. */
  readonly internalMessage: string

  constructor(statusCode: number, errorCode: string | undefined, message: string, internalMessage = message) {
    super(message)
    this.statusCode = statusCode
    this.errorCode = errorCode
    this.internalMessage = internalMessage
  }

  /** The dropshot error body, with the request id the server assigned. */
  body(requestId: string): { request_id: string; error_code?: string; message: string } {
    return this.errorCode === undefined ? { request_id: requestId, message: this.message } : { request_id: requestId, error_code: this.errorCode, message: this.message }
  }
}

/** Omicron's `ResourceType`, displayed in kebab case. */
export type ResourceType =
  | 'instance'
  | 'project'
  | 'sled'
  | 'vmm'
  | 'migration'
  | 'affinity-group'
  | 'anti-affinity-group'
  | 'affinity-group-member'
  | 'anti-affinity-group-member'
export type Lookup = { readonly name: string } | { readonly id: string }

export function objectNotFound(type: ResourceType, lookup: Lookup): NexusApiError {
  const how = 'name' in lookup ? `with name "${lookup.name}"` : `with id "${lookup.id}"`
  return new NexusApiError(404, 'ObjectNotFound', `not found: ${type} ${how}`)
}

export function objectAlreadyExists(type: ResourceType, name: string): NexusApiError {
  return new NexusApiError(400, 'ObjectAlreadyExists', `already exists: ${type} "${name}"`)
}

export function invalidRequest(message: string): NexusApiError {
  return new NexusApiError(400, 'InvalidRequest', message)
}

export function invalidValue(label: string, message: string): NexusApiError {
  return new NexusApiError(400, 'InvalidValue', `unsupported value for "${label}": ${message}`)
}

export function conflict(message: string): NexusApiError {
  return new NexusApiError(409, 'Conflict', message)
}

export function gone(): NexusApiError {
  return new NexusApiError(410, 'Gone', 'Gone')
}

/** 500: the caller sees only "Internal Server Error". */
export function internalError(internalMessage: string): NexusApiError {
  return new NexusApiError(500, 'Internal', 'Internal Server Error', internalMessage)
}

/** 503: the only error Omicron calls retryable. */
export function serviceUnavailable(internalMessage: string): NexusApiError {
  return new NexusApiError(503, 'ServiceNotAvailable', 'Service Unavailable', internalMessage)
}

export function insufficientCapacity(message: string): NexusApiError {
  return new NexusApiError(507, 'InsufficientCapacity', `Insufficient capacity: ${message}`)
}
