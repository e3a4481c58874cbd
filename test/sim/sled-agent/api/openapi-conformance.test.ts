import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import * as wire from '../../../../sim/sled-agent/api/index.ts'
import { openApiEnum, openApiSchema, type OpenApiDocument } from '../../../support/openapi.ts'

const DOCUMENTS: readonly OpenApiDocument[] = ['sled-agent', 'nexus-internal']

const OBJECT_SCHEMAS = {
  SledVmmState: wire.SledVmmStateSchema,
  VmmRuntimeState: wire.VmmRuntimeStateSchema,
  MigrationRuntimeState: wire.MigrationRuntimeStateSchema,
} as const

describe.each(DOCUMENTS)('wire VMM state shapes against the %s OpenAPI document', (doc) => {
  it('has exactly the VmmState values', () => {
    expect([...wire.VMM_STATES].sort()).toEqual(openApiEnum(doc, 'VmmState').sort())
  })

  it('has exactly the MigrationState values', () => {
    expect([...wire.MIGRATION_STATES].sort()).toEqual(openApiEnum(doc, 'MigrationState').sort())
  })

  it.each(Object.entries(OBJECT_SCHEMAS))('gives %s the same fields, with the same ones required', (name, schema) => {
    const reference = openApiSchema(doc, name)
    const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>
    const required = Object.entries(shape)
      .filter(([, field]) => !field.safeParse(undefined).success)
      .map(([key]) => key)

    expect(Object.keys(shape).sort()).toEqual(Object.keys(reference.properties ?? {}).sort())
    expect(required.sort()).toEqual([...(reference.required ?? [])].sort())
  })

  it('types Generation as a non-negative integer', () => {
    expect(openApiSchema(doc, 'Generation')).toMatchObject({ type: 'integer', minimum: 0 })
    expect(wire.GenerationSchema.safeParse(0).success).toBe(true)
    expect(wire.GenerationSchema.safeParse(-1).success).toBe(false)
    expect(wire.GenerationSchema.safeParse(2.5).success).toBe(false)
  })
})
