// Exercises the whole kernel (clock ties and nesting, promise settling, forked rng streams, ids,
// trace) from one seed and prints the trace hash. The determinism test runs it in separate
// processes and in-process and compares the results.
import { pathToFileURL } from 'node:url'
import { VirtualClock } from '../../sim/kernel/clock.ts'
import { IdSource } from '../../sim/kernel/ids.ts'
import { Rng } from '../../sim/kernel/rng.ts'
import { Trace } from '../../sim/kernel/trace.ts'

export interface ProbeResult {
  readonly hash: string
  readonly events: number
}

export async function runKernelProbe(seed: number): Promise<ProbeResult> {
  const clock = new VirtualClock()
  const trace = new Trace(clock)
  const rng = new Rng(seed)
  const ids = new IdSource(rng.fork('ids'))
  const delays = rng.fork('delays')

  for (let worker = 0; worker < 50; worker += 1) {
    const id = ids.uuid('propolis')
    const step = (n: number): void => {
      trace.record('note', { text: `${id} step ${n} ${ids.shortId()}` })
      if (n < 5) {
        void Promise.resolve().then(() => clock.setTimeout(() => step(n + 1), delays.int(0, 3) * 100))
      }
    }
    clock.setTimeout(() => step(0), delays.int(0, 10) * 50)
  }
  await clock.advance(10_000)
  return { hash: trace.hash(), events: trace.size }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runKernelProbe(Number(process.argv[2] ?? '1'))
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
