// Background task runs in a trace: each `task.activated` paired with its `task.finished`, and
// whether the run was quiet (looked, changed nothing, reported no error), so reports can fold it.
import { canonicalJson, type TraceValue } from '../../sim/kernel/trace.ts'
import { str, type EventFields } from './event-fields.ts'

export interface TaskRun {
  readonly task: string
  readonly activated: EventFields
  /** Null when the run had not finished when the trace ended. */
  readonly finished: EventFields | null
  /** The seqs of the events recorded between the two (the task's own requests, and anything else). */
  readonly inner: readonly number[]
  readonly quiet: boolean
}

/** Every task run, in the order they were activated. */
export function findTaskRuns(events: readonly EventFields[]): TaskRun[] {
  const runs: TaskRun[] = []
  const open = new Map<string, { activated: EventFields; inner: number[]; busy: boolean }>()
  for (const event of events) {
    const task = event.kind === 'task.activated' || event.kind === 'task.finished' ? str(event, 'task') : null
    if (task !== null && event.kind === 'task.activated') {
      open.set(task, { activated: event, inner: [], busy: false })
      continue
    }
    if (task !== null && event.kind === 'task.finished') {
      const run = open.get(task)
      if (run === undefined) continue
      open.delete(task)
      const quiet = !run.busy && !reportsTrouble(event['status'] ?? null)
      runs.push({ task, activated: run.activated, finished: event, inner: run.inner, quiet })
      continue
    }
    for (const run of open.values()) {
      run.inner.push(event.seq)
      if (!isLookingOnly(event)) run.busy = true
    }
  }
  for (const [task, run] of open) runs.push({ task, activated: run.activated, finished: null, inner: run.inner, quiet: false })
  return runs.sort((a, b) => a.activated.seq - b.activated.seq)
}

/** Events a task records while only looking: its requests, and VMM reports Nexus already had. */
function isLookingOnly(event: EventFields): boolean {
  switch (event.kind) {
    case 'http.request':
      return true
    case 'http.response': {
      const status = event['status']
      return typeof status === 'number' && status < 400
    }
    case 'nexus.vmm_update':
      return str(event, 'outcome') === 'ignored'
    default:
      return false
  }
}

/** A status field named like an error or a failure that is not empty or zero. */
function reportsTrouble(status: TraceValue): boolean {
  if (status === null || typeof status !== 'object' || Array.isArray(status)) return false
  return Object.entries(status as { readonly [key: string]: TraceValue }).some(
    ([key, value]) => /error|fail/i.test(key) && !isEmpty(value),
  )
}

function isEmpty(value: TraceValue): boolean {
  if (value === null || value === 0 || value === false || value === '') return true
  if (Array.isArray(value)) return value.length === 0
  return typeof value === 'object' && canonicalJson(value) === '{}'
}
