// The tag in a testbed's host names (`nexus.tb1.sim`, `sled-1.tb1.sled.sim`). Host names must be
// unique in the process (MSW routes by host), so each live testbed holds its own tag; a disposed
// testbed's tag is reused (the lowest free one), so that runs one after another in a process name
// the same hosts, and an error message quoting a URL traces the same bytes.

const liveTags = new Set<number>()

/** Takes the lowest free tag; `release` frees it once the testbed's hosts are gone. */
export function takeHostTag(): { readonly tag: string; release(): void } {
  let n = 1
  while (liveTags.has(n)) n += 1
  liveTags.add(n)
  return { tag: `tb${n}`, release: () => void liveTags.delete(n) }
}
