import type { PickerView, PiecePicker } from './piece-picker.js'
import { candidatePieces } from './piece-picker.js'
import type { Bitfield } from './bitfield.js'
import { xorshift32 } from './xorshift32.js'

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
  // Count candidates per availability level, sparse (levels are at most the peer count).
  const levels = new Map<number, number>()
  for (const i of candidates) {
    const a = availability[i] ?? 0
    levels.set(a, (levels.get(a) ?? 0) + 1)
  }
  const sorted = [...levels.keys()].sort((a, b) => a - b)
  let taken = 0
  let threshold = sorted[sorted.length - 1] as number
  for (const a of sorted) {
    taken += levels.get(a) as number
    if (taken >= k) { threshold = a; break }
  }
  // Everything rarer than the threshold is in; the threshold level is sampled.
  const below: number[] = []
  const at: number[] = []
  for (const i of candidates) {
    const a = availability[i] ?? 0
    if (a < threshold) below.push(i)
    else if (a === threshold) at.push(i)
  }
  const shuffled = sample(below, below.length, random)
  shuffled.sort((x, y) => (availability[x] ?? 0) - (availability[y] ?? 0))
  return shuffled.concat(sample(at, k - shuffled.length, random))
}
