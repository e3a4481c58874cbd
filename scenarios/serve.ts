// `testbed serve`: runs a scenario, then serves the instance part of its Nexus's Oxide API on
// 127.0.0.1 so that a real Oxide client (or curl) can look at the result. Each request goes through
// the same MSW handlers as in the run, one at a time, on the testbed's virtual time.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { runScenarioOn } from './run.ts'
import type { Scenario } from './scenario-schema.ts'
import { createTestbed, type Testbed } from './testbed.ts'

export interface ServeOptions {
  readonly port: number
  readonly seed?: number
}

/** Runs `scenario` and serves until the process is stopped; resolves once listening. */
export async function serveScenario(scenario: Scenario, options: ServeOptions, say: (line: string) => void): Promise<{ close(): Promise<void>; port: number }> {
  const tb = await createTestbed({ ...scenario.config, seed: options.seed ?? scenario.seed })
  const report = await runScenarioOn(tb, scenario)
  say(`${report.passed ? 'PASS' : 'FAIL'}  ${report.name}  (seed ${report.seed})`)
  // Requests take turns: the virtual clock runs one call at a time.
  let queue: Promise<unknown> = Promise.resolve()
  const server = createServer((req, res) => {
    queue = queue.then(() => forward(tb, req, res)).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ request_id: 'testbed', message: `testbed serve failed: ${String(error)}` }))
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  say(`serving the instance API of ${scenario.name} at http://127.0.0.1:${port} (project 'default'), e.g.`)
  say(`  curl 'http://127.0.0.1:${port}/v1/instances?project=default'`)
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          tb.dispose()
          resolve()
        })
      }),
  }
}

async function forward(tb: Testbed, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (!url.pathname.startsWith('/v1/instances')) {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ request_id: 'testbed', error_code: 'NotFound', message: 'Not Found: only the instance API (/v1/instances) is served' }))
    return
  }
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8')
  const headers: Record<string, string> = {}
  const type = req.headers['content-type']
  if (type !== undefined) headers['content-type'] = type
  const response = await tb.fetch(`${url.pathname}${url.search}`, { method: req.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) })
  const text = await response.text()
  res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' })
  res.end(text)
}
