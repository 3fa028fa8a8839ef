/**
 * A small deterministic pseudo-random generator (mulberry32) giving numbers
 * in [0, 1). Good enough to draw optimistic unchokes; not for anything that
 * must be unpredictable to an attacker.
 * @throws nothing
 */
export function seededRandom (seed: number): () => number {
  let state = (Number.isFinite(seed) ? Math.trunc(seed) : 0) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
