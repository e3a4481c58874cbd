// Reads the real OpenAPI documents in ../shared/reference/openapi, the authority for every enum
// value and field name on the wire.
import { readFileSync } from 'node:fs'

export type OpenApiDocument = 'sled-agent' | 'nexus-internal' | 'nexus-external'

interface Schema {
  readonly type?: string
  readonly enum?: readonly string[]
  readonly oneOf?: readonly Schema[]
  readonly required?: readonly string[]
  readonly properties?: Readonly<Record<string, Schema>>
}

export function openApiSchema(doc: OpenApiDocument, name: string): Schema {
  const url = new URL(`../../../shared/reference/openapi/${doc}.json`, import.meta.url)
  const parsed = JSON.parse(readFileSync(url, 'utf8')) as { components: { schemas: Record<string, Schema> } }
  const schema = parsed.components.schemas[name]
  if (schema === undefined) throw new Error(`read OpenAPI schema failed: ${doc} has no schema '${name}'`)
  return schema
}

/** The string values of an enum schema written either as `enum` or as a `oneOf` of one-value enums. */
export function openApiEnum(doc: OpenApiDocument, name: string): string[] {
  const schema = openApiSchema(doc, name)
  return [...(schema.enum ?? []), ...(schema.oneOf ?? []).flatMap((member) => member.enum ?? [])]
}
