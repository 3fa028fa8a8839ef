/**
 * Interest and requests: we are interested in a peer as the interest policy
 * says, and keep as many requests outstanding to it as the request-depth
 * policy says (capped by the torrent's ceiling and the peer's `reqq`), sent
 * in batches of half of that: each write wakes the peer, and half as many
 * writes measured less CPU on both sides of a loopback download than
 * quarters did. Choked, only BEP 6 allowed-fast pieces are requested.
 * @see BEP 3 (interested, request pipelining), BEP 6, BEP 10 (`reqq`)
 */
import { planRequests } from '../peer/request-pipeline.js'
import { reduceSwarm } from '../swarm/swarm-state.js'
import { isComplete, type EnginePeer, type TorrentState } from './state.js'
import type { TorrentEffect } from './types.js'
import { callStrategy } from './strategy-call.js'

/**
 * Bring our interest in `p` in line with the interest policy; top its
 * requests up when interested, unless `fill` is false (the caller knows a
 * top-up follows: the peer's `batch-end`).
 */
export function updateInterest (state: TorrentState, p: EnginePeer, now: number, effects: TorrentEffect[], fill = true): void {
  const s = p.session
  if (s === undefined) return
  const policy = state.strategies.interest
  const input = { hasWanted: state.planner.isInteresting(s.peerHas), peerHas: s.peerHas, complete: isComplete(state) }
  const want = callStrategy('interest policy', policy.name, () => policy.interested(input)) === true
  if (want !== s.amInterested) {
    effects.push({ type: 'send', peer: p.key, messages: want ? s.interested() : s.notInterested() })
    state.swarm = reduceSwarm(state.swarm, { type: 'interest-changed', key: p.key, side: 'am', interested: want })
  }
  if (want && fill) topUp(state, p, now, effects)
}

/** The depth for `p` from the policy, a whole number in [1, maxDepth]. */
export function depthFor (state: TorrentState, p: EnginePeer, now: number): number {
  const policy = state.strategies.requestDepth
  const input = { rate: p.downRate.rate(now), reqq: p.reqq, max: state.maxDepth }
  const raw = callStrategy('request depth', policy.name, () => policy.depth(input))
  const n = Number.isFinite(raw) ? Math.floor(raw) : 1
  return Math.min(state.maxDepth, Math.max(1, n))
}

/** Keep `p`'s request queue full. */
export function topUp (state: TorrentState, p: EnginePeer, now: number, effects: TorrentEffect[]): void {
  const s = p.session
  if (s === undefined) return
  const depth = depthFor(state, p, now)
  const refs = planRequests(s, state.planner, { peer: p.key, depth, minBatch: Math.ceil(depth / 2) })
  if (refs.length > 0) effects.push({ type: 'send', peer: p.key, messages: s.request(refs, now) })
}

/** Top up every connection. */
export function topUpAll (state: TorrentState, now: number, effects: TorrentEffect[]): void {
  for (const p of state.peers.values()) topUp(state, p, now, effects)
}

/** Endgame: a block that arrived is cancelled at the other peers that had it requested. */
export function sendCancels (state: TorrentState, effects: TorrentEffect[]): void {
  for (const c of state.planner.takeCancels()) {
    const s = state.peers.get(c.peer)?.session
    if (s !== undefined) effects.push({ type: 'send', peer: c.peer, messages: s.cancel(c.ref) })
  }
}

/** Give up requests older than `timeoutMs` and plan them again. */
export function expireRequests (state: TorrentState, now: number, timeoutMs: number, effects: TorrentEffect[]): void {
  let any = false
  for (const p of state.peers.values()) {
    const expired = p.session?.expire(now, timeoutMs) ?? []
    for (const ref of expired) state.planner.release(p.key, ref)
    if (expired.length > 0) any = true
  }
  if (any) topUpAll(state, now, effects)
}
