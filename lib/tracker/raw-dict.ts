/**
 * Byte ranges of a bencoded dictionary's keys and values, for dictionaries
 * whose keys are binary (scrape `files`), which the value decoder turns into
 * text. Meant for input that `decode` has already accepted.
 * @see BEP 3, BEP 48
 */
import { TrackerError } from './tracker-error.js'

/** One key and its value, as byte ranges of the input. */
export interface RawDictEntry {
  readonly keyStart: number
  readonly keyEnd: number
  readonly valueStart: number
  readonly valueEnd: number
}

const D = 0x64
const L = 0x6c
const I = 0x69
const E = 0x65
const COLON = 0x3a

/** End of the byte string whose length starts at `pos`, and where its content starts. */
function stringAt (bytes: Uint8Array, pos: number): { start: number, end: number } {
  let n = 0
  let p = pos
  while (p < bytes.length && bytes[p] !== COLON) {
    const c = bytes[p] as number
    if (c < 0x30 || c > 0x39) throw new TrackerError('bad-response', 'malformed bencode string')
    n = n * 10 + c - 0x30
    p++
  }
  const start = p + 1
  if (p >= bytes.length || start + n > bytes.length) throw new TrackerError('bad-response', 'truncated bencode string')
  return { start, end: start + n }
}

/** Position just past the value starting at `pos` (iterative, no recursion). */
function skipValue (bytes: Uint8Array, pos: number): number {
  let depth = 0
  let p = pos
  do {
    const c = bytes[p]
    if (c === undefined) throw new TrackerError('bad-response', 'truncated bencode')
    if (c === D || c === L) { depth++; p++ } else if (c === E) { depth--; p++ } else if (c === I) {
      const e = bytes.indexOf(E, p)
      if (e < 0) throw new TrackerError('bad-response', 'truncated bencode integer')
      p = e + 1
    } else {
      p = stringAt(bytes, p).end
    }
  } while (depth > 0)
  return p
}

/**
 * The entries of the dictionary starting at `pos`, in input order; an empty
 * list when the value at `pos` is not a dictionary.
 * @throws TrackerError `bad-response` on malformed bencode
 */
export function rawDictEntries (bytes: Uint8Array, pos: number): RawDictEntry[] {
  if (bytes[pos] !== D) return []
  const out: RawDictEntry[] = []
  let p = pos + 1
  while (bytes[p] !== E) {
    if (p >= bytes.length) throw new TrackerError('bad-response', 'truncated bencode dictionary')
    const key = stringAt(bytes, p)
    const valueEnd = skipValue(bytes, key.end)
    out.push({ keyStart: key.start, keyEnd: key.end, valueStart: key.end, valueEnd })
    p = valueEnd
  }
  return out
}
