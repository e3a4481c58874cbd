// The typed failure of a datastore query: the `Err(Error)` cases of omicron's queries that callers
// propagate rather than branch on (a gone migration row, a VMM reporting for a migration it is not
// part of, a missing row). Expected outcomes are returned as `kind` values instead.
// Mirrors: omicron common/src/api/external/error.rs@b848b6d (the variants the datastore returns).

export type DatastoreErrorKind = 'not_found' | 'conflict' | 'gone' | 'invalid_value' | 'internal'

const STATUS = {
  not_found: 404,
  conflict: 409,
  gone: 410,
  invalid_value: 400,
  internal: 500,
} as const satisfies Record<DatastoreErrorKind, number>

export type DatastoreErrorStatus = (typeof STATUS)[DatastoreErrorKind]

export class DatastoreError extends Error {
  override readonly name = 'DatastoreError'
  readonly kind: DatastoreErrorKind
  /** The HTTP status omicron's error becomes. */
  readonly status: DatastoreErrorStatus
  /** For `invalid_value`: the label inside `unsupported value for "<label>": …`. */
  readonly label: string | null

  /** `message` is the external message for every kind but `internal`, whose text only Nexus logs. */
  constructor(kind: DatastoreErrorKind, message: string, label: string | null = null) {
    super(message)
    this.kind = kind
    this.status = STATUS[kind]
    this.label = label
  }

  /** Omicron's `Error::invalid_value(label, message)`. */
  static invalidValue(label: string, detail: string): DatastoreError {
    return new DatastoreError('invalid_value', `unsupported value for "${label}": ${detail}`, label)
  }

  /** Omicron's `Error::Gone`, whose external message is just "Gone". */
  static gone(): DatastoreError {
    return new DatastoreError('gone', 'Gone')
  }
}

export function isDatastoreError(error: unknown): error is DatastoreError {
  return error instanceof DatastoreError
}
