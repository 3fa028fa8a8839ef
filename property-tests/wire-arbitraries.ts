import fc from 'fast-check'
import type { Message } from '../lib/wire/types.js'

/** Message ids of BEP 3, 5, 6 and 10: an `unknown` message never uses one. */
const KNOWN_IDS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 20])
const u32 = fc.nat({ max: 0xffffffff })
const bytes = (maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength })
const triple = { index: u32, begin: u32, length: u32 }

/** Any message of the union with in-range fields; `unknown` only for ids we do not know. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.constantFrom<Message>(
    { type: 'keep-alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' },
    { type: 'not-interested' }, { type: 'have-all' }, { type: 'have-none' }
  ),
  fc.record({ type: fc.constant('have' as const), index: u32 }),
  fc.record({ type: fc.constant('suggest-piece' as const), index: u32 }),
  fc.record({ type: fc.constant('allowed-fast' as const), index: u32 }),
  fc.record({ type: fc.constant('bitfield' as const), bits: bytes(64) }),
  fc.record({ type: fc.constant('request' as const), ...triple }),
  fc.record({ type: fc.constant('cancel' as const), ...triple }),
  fc.record({ type: fc.constant('reject-request' as const), ...triple }),
  fc.record({ type: fc.constant('piece' as const), index: u32, begin: u32, block: bytes(300) }),
  fc.record({ type: fc.constant('port' as const), port: fc.nat({ max: 0xffff }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.nat({ max: 255 }), payload: bytes(100) }),
  fc.record({
    type: fc.constant('unknown' as const),
    id: fc.nat({ max: 255 }).filter((id) => !KNOWN_IDS.has(id)),
    payload: bytes(50)
  })
)

/**
 * Cut `data` at the given (unsorted, possibly repeated) points: views, or
 * fresh copies with `copy` (chunks a test may overwrite).
 */
export function splitAt (data: Uint8Array, points: readonly number[], options: { copy?: boolean } = {}): Uint8Array[] {
  const cut = options.copy === true ? (s: number, e?: number) => data.slice(s, e) : (s: number, e?: number) => data.subarray(s, e)
  const cuts = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const c of cuts) { parts.push(cut(last, c)); last = c }
  parts.push(cut(last))
  return parts
}

export function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}


/** A PIECE message larger than one 64 KiB read (split frames in any decoder). */
export const largePieceArb: fc.Arbitrary<Message> = fc.record({
  type: fc.constant('piece' as const),
  index: u32,
  begin: u32,
  block: fc.tuple(fc.integer({ min: 60_000, max: 70_000 }), fc.nat({ max: 255 })).map(([n, salt]) => Uint8Array.from({ length: n }, (_, i) => (i + salt) & 0xff))
})
