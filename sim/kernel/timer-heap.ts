// A binary min-heap of timers ordered by (due, seq): equal deadlines pop in the order they were
// scheduled. Cancellation is lazy (a cancelled entry stays until it surfaces or the heap is
// compacted), so schedule, cancel and pop are all O(log n) amortised.

/** One scheduled callback. `seq` is unique and increasing; it breaks ties between equal `due`s. */
export interface TimerEntry {
  readonly due: number
  readonly seq: number
  readonly callback: () => void
  /** `pending` while in the heap; `cancelled` entries may linger in it until they surface. */
  status: 'pending' | 'cancelled' | 'fired'
}

export class TimerHeap {
  readonly #items: TimerEntry[] = []
  #cancelled = 0

  /** Timers that are scheduled and not cancelled. */
  get size(): number {
    return this.#items.length - this.#cancelled
  }

  push(entry: TimerEntry): void {
    this.#items.push(entry)
    this.#siftUp(this.#items.length - 1)
  }

  /** Marks an entry cancelled; compacts when cancelled entries outnumber live ones. */
  cancel(entry: TimerEntry): void {
    if (entry.status !== 'pending') return
    entry.status = 'cancelled'
    this.#cancelled += 1
    if (this.#cancelled > 64 && this.#cancelled * 2 > this.#items.length) this.#compact()
  }

  /** The earliest live entry, without removing it. */
  peek(): TimerEntry | undefined {
    this.#dropCancelledTop()
    return this.#items[0]
  }

  /** Removes and returns the earliest live entry. */
  pop(): TimerEntry | undefined {
    this.#dropCancelledTop()
    const top = this.#removeTop()
    if (top !== undefined) top.status = 'fired'
    return top
  }

  #dropCancelledTop(): void {
    while (this.#items[0]?.status === 'cancelled') {
      this.#removeTop()
      this.#cancelled -= 1
    }
  }

  #removeTop(): TimerEntry | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (top !== undefined && last !== undefined && items.length > 0) {
      items[0] = last
      this.#siftDown(0)
    }
    return top
  }

  // Rebuilds the heap from its live entries in O(n): Floyd's heapify.
  #compact(): void {
    const live = this.#items.filter((e) => e.status === 'pending')
    this.#items.length = 0
    this.#items.push(...live)
    this.#cancelled = 0
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i -= 1) this.#siftDown(i)
  }

  #siftUp(index: number): void {
    const items = this.#items
    let i = index
    const entry = items[i] as TimerEntry
    while (i > 0) {
      const parentIndex = (i - 1) >> 1
      const parent = items[parentIndex] as TimerEntry
      if (!before(entry, parent)) break
      items[i] = parent
      i = parentIndex
    }
    items[i] = entry
  }

  #siftDown(index: number): void {
    const items = this.#items
    const n = items.length
    let i = index
    const entry = items[i] as TimerEntry
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && before(items[right] as TimerEntry, items[left] as TimerEntry)) child = right
      const childEntry = items[child] as TimerEntry
      if (!before(childEntry, entry)) break
      items[i] = childEntry
      i = child
    }
    items[i] = entry
  }
}

function before(a: TimerEntry, b: TimerEntry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq)
}
