/**
 * One piece being downloaded, block by block: the record behind the request
 * planner's pieces in progress, and the pure functions that change it.
 *
 * Each block is {@link FREE} (nobody asked for it), {@link REQUESTED}
 * (outstanding to one peer, or in endgame to several: its *holders*) or
 * {@link RECEIVED} (arrived, from the peer in `owner`). Every function here
 * keeps `free` and `received` equal to the number of blocks in those states.
 * The functions run per block allocate nothing but an endgame holder list.
 */
import type { PeerKey } from './peer-key.js'

/** Block state: nobody holds the block. */
export const FREE = 0
/** Block state: requested from at least one peer, not arrived. */
export const REQUESTED = 1
/** Block state: arrived and accepted. */
export const RECEIVED = 2

/** Per-piece download state: each block free, requested from a peer, or received from one. */
export interface PartialPiece {
  /** The piece index. */
  readonly index: number
  /** {@link FREE}, {@link REQUESTED} or {@link RECEIVED}, by block number. */
  readonly state: Uint8Array
  /** The peer a block was first requested from (of those still holding it) or was received from. */
  readonly owner: Array<PeerKey | undefined>
  /** Further peers a requested block is outstanding to (endgame), by block number. */
  readonly extra: Map<number, PeerKey[]>
  /** Sequence number of each requested block's first request. */
  readonly since: Float64Array
  /** Blocks in state {@link FREE}. */
  free: number
  /** Blocks in state {@link RECEIVED}. */
  received: number
}

/** A piece of `blocks` blocks, all free. */
export function newPartialPiece (index: number, blocks: number): PartialPiece {
  return {
    index,
    state: new Uint8Array(blocks),
    owner: new Array<PeerKey | undefined>(blocks).fill(undefined),
    extra: new Map(),
    since: new Float64Array(blocks),
    free: blocks,
    received: 0
  }
}

/** Nothing requested or received: the piece need not stay in progress. */
export function isIdle (p: PartialPiece): boolean {
  return p.free === p.state.length
}

/** A free block is now requested from `peer`, its first holder; `seq` orders requests (oldest smallest). */
export function requestBlock (p: PartialPiece, block: number, peer: PeerKey, seq: number): void {
  p.state[block] = REQUESTED
  p.owner[block] = peer
  p.since[block] = seq
  p.free--
}

/** Endgame: a requested block is now outstanding to `peer` as well (after its other holders). */
export function addHolder (p: PartialPiece, block: number, peer: PeerKey): void {
  const more = p.extra.get(block)
  if (more === undefined) p.extra.set(block, [peer])
  else more.push(peer)
}

/** A requested block arrived from `peer`: received, its holders forgotten. */
export function receiveBlock (p: PartialPiece, block: number, peer: PeerKey): void {
  p.extra.delete(block)
  p.state[block] = RECEIVED
  p.owner[block] = peer
  p.received++
}

/** A received block is missing again (its bytes were refused or lost). */
export function unreceiveBlock (p: PartialPiece, block: number): void {
  p.received--
  freeBlock(p, block)
}

/** Whatever state the block was in, it is free now and held by nobody. */
export function freeBlock (p: PartialPiece, block: number): void {
  p.state[block] = FREE
  p.owner[block] = undefined
  p.extra.delete(block)
  p.free++
}

/** Peers a requested block is outstanding to, first requester first (a new array). */
export function holdersOf (p: PartialPiece, block: number): PeerKey[] {
  const first = p.owner[block]
  if (first === undefined) return []
  const more = p.extra.get(block)
  return more === undefined ? [first] : [first, ...more]
}

/**
 * Take `peer` off a requested block's holders; the next holder becomes the
 * first, and the block is freed when no holder remains. False when `peer`
 * did not hold it.
 */
export function dropHolder (p: PartialPiece, block: number, peer: PeerKey): boolean {
  const more = p.extra.get(block)
  if (p.owner[block] === peer) {
    const next = more?.shift()
    if (next === undefined) {
      freeBlock(p, block)
    } else {
      p.owner[block] = next
      if (more?.length === 0) p.extra.delete(block)
    }
    return true
  }
  const at = more === undefined ? -1 : more.indexOf(peer)
  if (more === undefined || at < 0) return false
  more.splice(at, 1)
  if (more.length === 0) p.extra.delete(block)
  return true
}

/** The peers that sent the piece's received blocks, each once, in block order. */
export function contributorsOf (p: PartialPiece): PeerKey[] {
  const out = new Set<PeerKey>()
  for (let b = 0; b < p.state.length; b++) {
    if (p.state[b] === RECEIVED) out.add(p.owner[b] as PeerKey)
  }
  return [...out]
}
