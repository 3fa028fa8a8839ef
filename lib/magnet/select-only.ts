import { MagnetError } from '../errors.js'

/** Default cap on the file indices a magnet's `so` may select. */
export const MAX_SELECT_ONLY = 10_000

/**
 * Largest file index a magnet's `so` may name: no torrent has a million
 * files (libtorrent and Transmission choke well before), so an index at or
 * beyond 1,000,000 is dropped as implausible, and a range is clipped to it.
 */
export const MAX_SELECT_ONLY_INDEX = 999_999

/** The indices a BEP 53 `so` value selects, and what was skipped. */
export interface SelectOnlyItems {
  /** Sorted, distinct file indices. */
  readonly indices: number[]
  /** One line per item skipped or clipped (bad syntax, beyond the index bound, over the cap). */
  readonly problems: string[]
}

/**
 * Expand a BEP 53 `so` value (`0,2,4-6`) tolerantly, as deployed clients do:
 * an item that is not an index or an ascending range is skipped, indices
 * beyond `maxIndex` are dropped (a range is clipped), and once `max`
 * indices are selected the rest are dropped — each noted in `problems`. A
 * range is never expanded past the cap. Throws nothing.
 * @see BEP 53
 */
export function selectOnlyItems (text: string, max: number = MAX_SELECT_ONLY, maxIndex: number = MAX_SELECT_ONLY_INDEX): SelectOnlyItems {
  const selected = new Set<number>()
  const problems: string[] = []
  for (const item of text.split(',')) {
    if (item === '') continue
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(item)
    const first = m === null ? NaN : Number(m[1])
    const last = m?.[2] === undefined ? first : Number(m[2])
    if (Number.isNaN(first) || last < first) { problems.push(`"${item.slice(0, 40)}" is not a file index or range: skipped`); continue }
    if (first > maxIndex) { problems.push(`"${item.slice(0, 40)}" is beyond file index ${maxIndex}: dropped`); continue }
    if (last > maxIndex) problems.push(`"${item.slice(0, 40)}" is clipped at file index ${maxIndex}`)
    const end = Math.min(last, maxIndex)
    for (let i = first; i <= end; i++) {
      if (selected.size >= max && !selected.has(i)) { problems.push(`more than ${max} files selected: the rest are dropped`); return { indices: sorted(selected), problems } }
      selected.add(i)
    }
  }
  return { indices: sorted(selected), problems }
}

/**
 * Expand a BEP 53 `so` value (`0,2,4-6`) into sorted, distinct file indices,
 * strictly. Empty items are skipped.
 * @throws MagnetError `bad-select-only` (reject) for an item that is not an
 *   index or an ascending range, an index beyond `MAX_SELECT_ONLY_INDEX`, or
 *   when more than `max` indices result — checked before a range is expanded.
 *   {@link selectOnlyItems} is the tolerant form `parseMagnet` uses.
 * @see BEP 53
 */
export function parseSelectOnly (text: string, max: number = MAX_SELECT_ONLY): number[] {
  const selected = new Set<number>()
  for (const item of text.split(',')) {
    if (item === '') continue
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(item)
    const first = m === null ? NaN : Number(m[1])
    const last = m?.[2] === undefined ? first : Number(m[2])
    if (Number.isNaN(first) || last < first) throw bad(`"${item.slice(0, 40)}" is not a file index or range`)
    if (last > MAX_SELECT_ONLY_INDEX) throw bad(`"${item.slice(0, 40)}" is beyond file index ${MAX_SELECT_ONLY_INDEX}`)
    if (last - first + 1 + selected.size > max) throw bad(`selects more than ${max} files`)
    for (let i = first; i <= last; i++) selected.add(i)
  }
  return sorted(selected)
}

function sorted (set: Set<number>): number[] {
  return [...set].sort((a, b) => a - b)
}

/**
 * Format file indices as a BEP 53 `so` value, runs of consecutive indices
 * written as ranges: `[0, 2, 4, 5, 6]` → `0,2,4-6`. Input is sorted and
 * de-duplicated first.
 * @throws nothing
 * @see BEP 53
 */
export function formatSelectOnly (indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++
    parts.push(j === i ? `${sorted[i] as number}` : `${sorted[i] as number}-${sorted[j] as number}`)
    i = j + 1
  }
  return parts.join(',')
}

function bad (message: string): MagnetError {
  return new MagnetError('bad-select-only', `magnet so: ${message}`)
}
