import type { PickerView, PiecePicker } from './piece-picker.js'
import { candidatePieces } from './piece-picker.js'
import type { Bitfield } from './bitfield.js'
import { xorshift32 } from './xorshift32.js'

/** Options of {@link rarestFirst}. */
export interface RarestFirstOptions {
  /** Numbers in [0, 1) for tie-breaking; default a fixed-seed `xorshift32`. */
  readonly random?: () => number
  /** Until we have this many pieces, pick random available pieces instead. Default 4. */
  readonly randomFirstPieces?: number
}

/**
 * The rarest-first picker: pieces the fewest peers have come first, ties in
 * a random order from `random`. While we have fewer than `randomFirstPieces`
 * pieces it picks uniformly at random instead, to get something to trade
 * quickly. Linear in the piece count per call plus O(k log k) for the k
 * pieces returned; never throws.
 * @see BEP 3 ("rarest first"), libtorrent `piece_picker`
 */
export function rarestFirst (options: RarestFirstOptions = {}): PiecePicker {
  const random = options.random ?? xorshift32()
  const randomFirstPieces = options.randomFirstPieces ?? 4
  return {
    pick (view: PickerView, peerHas: Bitfield, max: number): number[] {
      if (!(max > 0)) return []
      const candidates = candidatePieces(view, peerHas)
      if (view.have.count < randomFirstPieces) return sample(candidates, Math.floor(max), random)
      return rarest(candidates, view.availability, Math.floor(max), random)
    }
  }
}

/** `k` distinct random elements of `items` (partial Fisher-Yates, in place). */
function sample (items: number[], k: number, random: () => number): number[] {
  const n = Math.min(k, items.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i))
    const t = items[i] as number
    items[i] = items[j] as number
    items[j] = t
  }
  return items.slice(0, n)
}

/**
 * The `k` rarest of `candidates`. A counting pass finds the availability
 * threshold, so only the returned pieces are sorted; ties within one
 * availability level are shuffled by `random`.
 */
function rarest (candidates: number[], availability: ArrayLike<number>, k: number, random: () => number): number[] {
  if (candidates.length === 0) return []
  // Count candidates per availability level (levels are at most the peer count).
  const counts: number[] = []
  for (const i of candidates) {
    const a = level(availability[i])
    counts[a] = (counts[a] ?? 0) + 1
  }
  let taken = 0
  let threshold = counts.length - 1
  for (let a = 0; a < counts.length; a++) {
    taken += counts[a] ?? 0
    if (taken >= k) { threshold = a; break }
  }
  // Everything rarer than the threshold is in; the threshold level is sampled.
  const below: number[] = []
  const at: number[] = []
  for (const i of candidates) {
    const a = level(availability[i])
    if (a < threshold) below.push(i)
    else if (a === threshold) at.push(i)
  }
  const shuffled = sample(below, below.length, random)
  shuffled.sort((x, y) => level(availability[x]) - level(availability[y]))
  return shuffled.concat(sample(at, k - shuffled.length, random))
}

/** Availability as a histogram level: counts above 65535 peers are one level. */
function level (a: number | undefined): number {
  return a === undefined || !(a > 0) ? 0 : Math.min(Math.floor(a), 0xffff)
}
