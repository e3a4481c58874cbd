// The instance part of the Oxide external API as MSW handlers, over the same InstanceService as the
// in-process API: paths and JSON of nexus-external.json, the `?project=` selector rules, 200 for
// reads and 202 for state changes, dropshot error bodies. Mirrors: omicron
// nexus/src/external_api/http_entrypoints.rs and app/instance.rs@b848b6d (`instance_lookup`).
import { http } from 'msw'
import { UUID_PATTERN } from '../../sim/kernel/ids.ts'
import { internalError, invalidRequest, NexusApiError, objectNotFound } from '../app/errors.ts'
import type { InstanceService } from '../app/instance-service.ts'
import { InstanceCreateBodySchema } from './instance-create-body.ts'
import { externalInstanceFromView, type InstanceView } from '../types/instance-view.ts'

/** The one project every testbed has. */
export const DEFAULT_PROJECT_NAME = 'default'

export function instanceHandlers(baseUrl: string, service: InstanceService, requestId: () => string) {
  const fail = (error: unknown) => {
    const e = error instanceof NexusApiError ? error : internalError(String(error))
    return Response.json(e.body(requestId()), { status: e.statusCode })
  }
  const respond = async (status: number, work: () => InstanceView | Promise<InstanceView>) => {
    try {
      return Response.json(externalInstanceFromView(await work()), { status })
    } catch (error) {
      return fail(error)
    }
  }
  /** Applies the selector rules and returns the instance name or id to look up. */
  const select = (request: Request, instance: string): string => {
    const project = new URL(request.url).searchParams.get('project')
    if (UUID_PATTERN.test(instance)) {
      if (project !== null) throw invalidRequest('when providing instance as an ID project should not be specified')
      return instance
    }
    if (project === null) throw invalidRequest('instance should either be UUID or project should be specified')
    checkProject(project, service)
    return instance
  }
  const param = (value: unknown) => String(value)

  return [
    http.get(`${baseUrl}/v1/instances`, ({ request }) => {
      try {
        const project = new URL(request.url).searchParams.get('project')
        // The project selector is a required query field: dropshot refuses the query string itself.
        if (project === null) throw new NexusApiError(400, undefined, 'unable to parse query string: missing field `project`')
        checkProject(project, service)
        return Response.json({ items: service.list().map(externalInstanceFromView), next_page: null })
      } catch (error) {
        return fail(error)
      }
    }),
    http.post(`${baseUrl}/v1/instances`, async ({ request }) => {
      try {
        const project = new URL(request.url).searchParams.get('project')
        if (project === null) throw new NexusApiError(400, undefined, 'unable to parse query string: missing field `project`')
        checkProject(project, service)
        const body = await parseBody(request)
        return respond(201, () =>
          service.create({
            name: body.name,
            description: body.description,
            hostname: body.hostname,
            ncpus: body.ncpus,
            memory: body.memory,
            start: body.start,
            autoRestartPolicy: body.auto_restart_policy,
            affinity: { antiAffinityGroups: body.anti_affinity_groups },
          }),
        )
      } catch (error) {
        return fail(error)
      }
    }),
    http.post(`${baseUrl}/v1/instances/:instance/start`, ({ request, params }) => respond(202, () => service.start(select(request, param(params['instance']))))),
    http.get(`${baseUrl}/v1/instances/:instance`, ({ request, params }) => respond(200, () => service.view(select(request, param(params['instance']))))),
    http.delete(`${baseUrl}/v1/instances/:instance`, async ({ request, params }) => {
      try {
        await service.delete(select(request, param(params['instance'])))
        return new Response(null, { status: 204 })
      } catch (error) {
        return fail(error)
      }
    }),
    http.post(`${baseUrl}/v1/instances/:instance/stop`, ({ request, params }) => respond(202, () => service.stop(select(request, param(params['instance']))))),
    http.post(`${baseUrl}/v1/instances/:instance/reboot`, ({ request, params }) => respond(202, () => service.reboot(select(request, param(params['instance']))))),
  ]
}

/** Dropshot's JSON body extraction: a 400 with no error code naming what is wrong. */
async function parseBody(request: Request) {
  let json: unknown
  try {
    json = JSON.parse(await request.text())
  } catch {
    throw new NexusApiError(400, undefined, 'unable to parse JSON body: expected value (the body is not JSON)')
  }
  const parsed = InstanceCreateBodySchema.safeParse(json)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const path = issue?.path.join('.') || '.'
  const what = issue?.code === 'invalid_type' && issue.input === undefined ? `missing field \`${path}\`` : (issue?.message ?? 'invalid body')
  throw new NexusApiError(400, undefined, `unable to parse JSON body: ${path}: ${what}`)
}

function checkProject(project: string, service: InstanceService): void {
  if (project === DEFAULT_PROJECT_NAME || project.toLowerCase() === service.projectId) return
  throw objectNotFound('project', UUID_PATTERN.test(project) ? { id: project.toLowerCase() } : { name: project })
}
