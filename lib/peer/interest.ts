import type { Bitfield } from '../pieces/bitfield.js'
import type { Message } from '../wire/types.js'
import type { PeerSession } from './peer-session.js'

/**
 * True when the peer has a piece we lack, compared a byte at a time.
 * Bitfields of different lengths are compared over the shorter one.
 * @throws nothing
 * @see BEP 3 (interested)
 */
export function peerIsInteresting (ourHave: Bitfield, peerHas: Bitfield): boolean {
  const ours = ourHave.bytes
  const theirs = peerHas.bytes
  const n = Math.min(ours.length, theirs.length)
  for (let i = 0; i < n; i++) {
    if (((theirs[i] as number) & ~(ours[i] as number) & 0xff) !== 0) return true
  }
  return false
}

/**
 * Bring the session's interest in line with `interesting`: the
 * `interested` or `not-interested` message to send, or `[]` when it
 * already matches.
 * @throws nothing
 * @see BEP 3
 */
export function updateInterest (session: PeerSession, interesting: boolean): Message[] {
  return interesting ? session.interested() : session.notInterested()
}
