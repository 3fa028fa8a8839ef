/**
 * Choking as the choker says: a round (regular every 10 s, or early when a
 * peer's interest changes or a slot frees) asks the torrent's choker, and
 * exactly its decision is applied. The engine never unchokes a peer on its
 * own. A decision naming a peer that is not connected is ignored with a
 * warning; a choker that throws stops the torrent (`strategy-failed`).
 * @see BEP 3 (choking)
 */
import { RxTorrentError } from '../errors.js'
import type { ChokeDecision, ChokePeer } from '../choke/types.js'
import { chokePeers } from '../swarm/swarm-selectors.js'
import { reduceSwarm } from '../swarm/swarm-state.js'
import { isComplete, type EnginePeer, type TorrentState } from './state.js'
import type { TorrentContext, TorrentEffect } from './types.js'

/** Report every connection's bytes counted since its last report to the swarm state. */
export function flushTransfers (state: TorrentState, now: number): void {
  for (const p of state.peers.values()) flushTransfer(state, p, now)
}

/** Report one connection's pending bytes (one `transfer` event; nothing when there are none) and piece count. */
export function flushTransfer (state: TorrentState, p: EnginePeer, now: number): void {
  if (p.piecesPending) {
    p.piecesPending = false
    const has = p.session?.peerHas
    if (has !== undefined) state.swarm = reduceSwarm(state.swarm, { type: 'have-count', key: p.key, count: has.count, seed: has.complete })
  }
  if (p.pendingDown === 0 && p.pendingUp === 0) return
  const at = p.pendingDown > 0 ? p.pendingBlockAt : now
  state.swarm = reduceSwarm(state.swarm, { type: 'transfer', key: p.key, down: p.pendingDown, up: p.pendingUp, at })
  p.pendingDown = 0
  p.pendingUp = 0
}

/** What a choker sees of the peers. Snubbed: nothing for 60 s while we wait on requests. */
export function chokeSnapshot (state: TorrentState, now: number): ChokePeer[] {
  flushTransfers(state, now)
  return chokePeers(state.swarm, now, (key) => {
    const p = state.peers.get(key)
    if (p?.session === undefined) return undefined
    return { downloadRate: p.downRate.rate(now), uploadRate: p.upRate.rate(now), awaitingBlocks: p.session.outstanding.size > 0 }
  })
}

/** Ask for an early round unless one is pending already. */
export function askEarlyRound (state: TorrentState, effects: TorrentEffect[]): void {
  if (state.choke.earlyPending || !state.started) return
  state.choke.earlyPending = true
  effects.push({ type: 'early-choke-round' })
}

/** One choke round: the choker decides, the decision is applied as is. */
export function chokeRound (state: TorrentState, early: boolean, ctx: TorrentContext): TorrentEffect[] {
  if (early) state.choke.earlyPending = false
  if (state.stopped !== undefined) return []
  const effects: TorrentEffect[] = []
  const choker = state.strategies.choker
  let decision: ChokeDecision
  try {
    const peers = chokeSnapshot(state, ctx.now)
    const c = state.choke
    decision = choker.decide(peers, { now: ctx.now, round: early ? Math.max(0, c.round - 1) : c.round, seeding: isComplete(state), slots: c.slots, random: ctx.random, early, ...(c.optimistic === undefined ? {} : { optimistic: c.optimistic }) })
    if (!(decision?.unchoke instanceof Set)) throw new TypeError('decision.unchoke is not a Set')
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    const error = new RxTorrentError('strategy-failed', `choker ${choker.name} failed in round ${state.choke.round}: ${message}`, { disposition: 'fatal', cause, details: { choker: choker.name, round: state.choke.round } })
    state.stopped = error
    return [{ type: 'stop', error }]
  }
  if (!early) state.choke.round++
  state.choke.optimistic = typeof decision.optimistic === 'string' ? decision.optimistic : undefined
  applyChokeDecision(state, decision.unchoke, ctx.now, effects)
  return effects
}

/**
 * Unchoke exactly the peers in `unchoke` and choke every other. Names that
 * are not connected peers are ignored with one warning.
 */
export function applyChokeDecision (state: TorrentState, unchoke: ReadonlySet<unknown>, now: number, effects: TorrentEffect[]): void {
  const unknown = [...unchoke].filter((id) => typeof id !== 'string' || state.peers.get(id)?.session === undefined)
  if (unknown.length > 0) {
    effects.push({ type: 'warning', message: `choker ${state.strategies.choker.name} unchoked ${unknown.length} peer(s) that are not connected (${unknown.slice(0, 3).map(String).join(', ')}); ignored` })
  }
  for (const p of state.peers.values()) {
    const s = p.session
    if (s === undefined) continue
    const want = unchoke.has(p.key)
    if (want === !s.amChoking) continue
    effects.push({ type: 'send', peer: p.key, messages: want ? s.unchoke() : s.choke() })
    state.swarm = reduceSwarm(state.swarm, { type: 'choke-changed', key: p.key, side: 'am', choking: !want, at: now })
  }
}
