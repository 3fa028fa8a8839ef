import { MagnetError } from '../errors.js'

/** Default cap on the file indices a magnet's `so` may select. */
export const MAX_SELECT_ONLY = 10_000

/**
 * Expand a BEP 53 `so` value (`0,2,4-6`) into sorted, distinct file indices.
 * Empty items are skipped.
 * @throws MagnetError `bad-select-only` (reject) for an item that is not an
 *   index or an ascending range, or when more than `max` indices result —
 *   checked before a range is expanded.
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
    if (last - first + 1 + selected.size > max) throw bad(`selects more than ${max} files`)
    for (let i = first; i <= last; i++) selected.add(i)
  }
  return [...selected].sort((a, b) => a - b)
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
