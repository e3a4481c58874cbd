// Validates a JSON value against a schema of the real OpenAPI documents (the OpenAPI 3.0 subset
// they use: $ref, allOf, oneOf, nullable, type, enum, format, minimum, required, properties,
// additionalProperties, items). Returns the problems, each with its JSON path; empty means valid.
import { existsSync, readFileSync } from 'node:fs'
import type { OpenApiDocument } from './openapi.ts'

interface Schema {
  readonly $ref?: string
  readonly allOf?: readonly Schema[]
  readonly oneOf?: readonly Schema[]
  readonly anyOf?: readonly Schema[]
  readonly nullable?: boolean
  readonly type?: string
  readonly enum?: readonly unknown[]
  readonly format?: string
  readonly minimum?: number
  readonly required?: readonly string[]
  readonly properties?: Readonly<Record<string, Schema>>
  readonly additionalProperties?: boolean | Schema
  readonly items?: Schema
}

interface Document {
  readonly paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { content?: Record<string, { schema?: Schema }>; $ref?: string }> }>>
  readonly components: { readonly schemas: Record<string, Schema>; readonly responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }
}

const documentUrl = (doc: OpenApiDocument) => new URL(`../../../shared/reference/openapi/${doc}.json`, import.meta.url)

/** Whether ../shared is beside the checkout (the reference documents are not part of the package). */
export function referenceAvailable(doc: OpenApiDocument): boolean {
  return existsSync(documentUrl(doc))
}

const cache = new Map<OpenApiDocument, Document>()
function load(doc: OpenApiDocument): Document {
  let parsed = cache.get(doc)
  if (parsed === undefined) {
    parsed = JSON.parse(readFileSync(documentUrl(doc), 'utf8')) as Document
    cache.set(doc, parsed)
  }
  return parsed
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** The response schema of `operationId` for `status` (falling back to the 4XX/5XX ranges). */
export function responseSchema(doc: OpenApiDocument, operationId: string, status: number): Schema | null {
  const document = load(doc)
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) {
      if (operation.operationId !== operationId) continue
      const responses = operation.responses ?? {}
      const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`]
      if (response === undefined) return null
      const resolved = response.$ref === undefined ? response : document.components.responses?.[response.$ref.split('/').pop() ?? '']
      return resolved?.content?.['application/json']?.schema ?? null
    }
  }
  throw new Error(`no operation ${operationId} in the ${doc} OpenAPI document`)
}

export function validate(doc: OpenApiDocument, schema: Schema, value: unknown, path = '$'): string[] {
  const document = load(doc)
  if (schema.$ref !== undefined) {
    const target = document.components.schemas[schema.$ref.split('/').pop() ?? '']
    if (target === undefined) return [`${path}: unresolvable ${schema.$ref}`]
    return validate(doc, target, value, path)
  }
  if (value === null) return schema.nullable === true ? [] : [`${path}: null is not allowed`]
  const problems: string[] = []
  for (const part of schema.allOf ?? []) problems.push(...validate(doc, part, value, path))
  if (schema.oneOf !== undefined) {
    const matching = schema.oneOf.filter((option) => validate(doc, option, value, path).length === 0).length
    if (matching !== 1) problems.push(`${path}: matches ${matching} of the oneOf options, not exactly one`)
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [...problems, `${path}: expected a string`]
      if (schema.format === 'uuid' && !UUID.test(value)) problems.push(`${path}: not a uuid`)
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) problems.push(`${path}: not a date-time`)
      break
    case 'integer':
      if (!Number.isInteger(value)) return [...problems, `${path}: expected an integer`]
      if (schema.minimum !== undefined && (value as number) < schema.minimum) problems.push(`${path}: below the minimum ${schema.minimum}`)
      break
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: expected a boolean`)
      break
    case 'array':
      if (!Array.isArray(value)) return [...problems, `${path}: expected an array`]
      value.forEach((item, i) => schema.items && problems.push(...validate(doc, schema.items, item, `${path}[${i}]`)))
      break
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [...problems, `${path}: expected an object`]
      const record = value as Record<string, unknown>
      for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${path}: missing required ${key}`)
      for (const [key, field] of Object.entries(record)) {
        const fieldSchema = schema.properties?.[key]
        if (fieldSchema !== undefined) problems.push(...validate(doc, fieldSchema, field, `${path}.${key}`))
        else if (schema.additionalProperties === false) problems.push(`${path}: unexpected property ${key}`)
        else if (typeof schema.additionalProperties === 'object') problems.push(...validate(doc, schema.additionalProperties, field, `${path}.${key}`))
      }
      break
    }
    default:
      break
  }
  return problems
}
