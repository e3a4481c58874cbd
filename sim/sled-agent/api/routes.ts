// The endpoint tables: every operation the testbed serves, by OpenAPI operation id, with its
// method and path template; and the matcher that turns a request into an operation and its path
// parameters. Sled-agent paths are those of sled-agent v48.0.0; Nexus internal paths are those of
// nexus-internal 1.0.0 plus the proposed doorbell (omicron#10290).

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE'

export interface RouteSpec {
  readonly method: HttpMethod
  readonly path: string
}

export const SLED_AGENT_ROUTES = {
  vmm_register: { method: 'PUT', path: '/vmms/{propolis_id}' },
  vmm_unregister: { method: 'DELETE', path: '/vmms/{propolis_id}' },
  vmm_put_state: { method: 'PUT', path: '/vmms/{propolis_id}/state' },
  vmm_get_state: { method: 'GET', path: '/vmms/{propolis_id}/state' },
} as const satisfies Record<string, RouteSpec>
export type SledAgentOperation = keyof typeof SLED_AGENT_ROUTES

export const NEXUS_INTERNAL_ROUTES = {
  cpapi_instances_put: { method: 'PUT', path: '/vmms/{propolis_id}' },
  // Not in nexus-internal 1.0.0: the body-less doorbell proposed by omicron#10290. The path is the
  // testbed's choice; the semantics follow the unmerged prototype (omicron-model.md §2.2).
  cpapi_vmm_doorbell: { method: 'POST', path: '/vmms/{propolis_id}/doorbell' },
} as const satisfies Record<string, RouteSpec>
export type NexusInternalOperation = keyof typeof NEXUS_INTERNAL_ROUTES

export interface RouteMatch<Op extends string> {
  readonly operation: Op
  readonly params: Readonly<Record<string, string>>
}

/** Finds the operation a method and path name, or null (a 404 or 405 from the real server). */
export function matchRoute<Op extends string>(
  routes: Readonly<Record<Op, RouteSpec>>,
  method: string,
  pathname: string,
): RouteMatch<Op> | null {
  for (const [operation, spec] of Object.entries(routes) as [Op, RouteSpec][]) {
    if (spec.method !== method.toUpperCase()) continue
    const params = matchPath(spec.path, pathname)
    if (params !== null) return { operation, params }
  }
  return null
}

/** True when some route serves this path with another method (dropshot answers 405, not 404). */
export function pathHasOtherMethod(routes: Readonly<Record<string, RouteSpec>>, pathname: string): boolean {
  return Object.values(routes).some((spec) => matchPath(spec.path, pathname) !== null)
}

function matchPath(template: string, pathname: string): Record<string, string> | null {
  const want = template.split('/')
  const got = pathname.split('/')
  if (want.length !== got.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i += 1) {
    const w = want[i] ?? ''
    const g = got[i] ?? ''
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return null
      params[w.slice(1, -1)] = decodeURIComponent(g)
    } else if (w !== g) {
      return null
    }
  }
  return params
}

/** Fills a path template: `pathFor('/vmms/{propolis_id}', { propolis_id })`. */
export function pathFor(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`build path failed: no value for {${name}} in ${template}`)
    return encodeURIComponent(value)
  })
}
