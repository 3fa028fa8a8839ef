/**
 * A small deterministic PRNG (Marsaglia's xorshift32) for the core, which
 * takes its randomness as an argument and never reads `Math.random`.
 * Returns a function yielding numbers in [0, 1); the same seed gives the same
 * sequence. Not cryptographic.
 */
export function xorshift32 (seed: number = 0x9e3779b9): () => number {
  // A zero state would stay zero forever.
  let state = (seed >>> 0) === 0 ? 0x9e3779b9 : seed >>> 0
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}
