/**
 * A connection's life as the engine sees it: admission (bans, one
 * connection per address, the peer filter, one connection per peer id),
 * the opening messages, what its messages mean for the torrent, and what
 * its end frees.
 * @see BEP 3, BEP 6 (allowed fast), BEP 16 (superseeding), BEP 20 (peer ids), BEP 21, BEP 54
 */
import { RxTorrentError, isRxTorrentError } from '../errors.js'
import { Bitfield } from '../pieces/bitfield.js'
import { PeerSession } from '../peer/peer-session.js'
import type { PeerEvent } from '../peer/peer-event.js'
import { parsePeerId } from '../peer-id/parse-peer-id.js'
import { RateMeter } from '../stats/rate-meter.js'
import { allowedFastOffer } from '../swarm/allowed-fast.js'
import { resolveDuplicate } from '../swarm/swarm-selectors.js'
import { closeReason } from '../swarm/dial-rules.js'
import { reduceSwarm, type SwarmEvent } from '../swarm/swarm-state.js'
import { askEarlyRound, flushTransfer } from './choking.js'
import { topUp, topUpAll, updateInterest } from './requests.js'
import { banKeyOf, hex, type EnginePeer, type TorrentState } from './state.js'
import type { FilteredPeer, SeedingOffer } from './strategies.js'
import { callStrategy } from './strategy-call.js'
import type { TorrentEffect, TorrentExtensionEvent, TorrentInput } from './types.js'

type Input<T extends TorrentInput['type']> = Extract<TorrentInput, { type: T }>

const dispatch = (state: TorrentState, e: SwarmEvent): void => { state.swarm = reduceSwarm(state.swarm, e) }

/** The peer filter's verdict as a refusal, or undefined to keep the peer. Bans the address on `ban`. */
function judge (state: TorrentState, peer: FilteredPeer, banKey: string, effects: TorrentEffect[]): RxTorrentError | undefined {
  const filter = state.strategies.peerFilter
  const verdict = callStrategy('peer filter', filter.name, () => filter.judge(peer))
  if (verdict === 'keep') return undefined
  if (verdict === 'ban') { state.bans.add(banKey); effects.push({ type: 'ban', host: banKey }) }
  return new RxTorrentError('peer-filtered', `${peer.key} refused by peer filter ${filter.name}`, { disposition: 'ignore', details: { filter: filter.name, stage: peer.stage } })
}

/** A connection opened: refused when banned, already connected at that address, or filtered. */
export function peerConnecting (state: TorrentState, input: Input<'peer-connecting'>, now: number, effects: TorrentEffect[]): RxTorrentError | undefined {
  const key = input.peer
  const banKey = banKeyOf(input.address, key)
  if (state.bans.has(banKey)) return new RxTorrentError('banned', `${key} is banned`, { disposition: 'ignore' })
  if (state.peers.has(key) || state.closing.has(key) || state.swarm.peers.has(key)) return new RxTorrentError('duplicate-connection', `already connected to ${key}`, { disposition: 'ignore' })
  const refused = judge(state, { stage: 'connecting', key, outgoing: input.outgoing, ...(input.address === undefined ? {} : { address: input.address }) }, banKey, effects)
  if (refused !== undefined) return refused
  state.peers.set(key, {
    key, banKey, outgoing: input.outgoing, fast: false, extended: false,
    ...(input.address === undefined ? {} : { address: input.address }),
    downRate: new RateMeter(), upRate: new RateMeter(), pendingDown: 0, pendingUp: 0, pendingBlockAt: now, piecesPending: false
  })
  dispatch(state, { type: 'peer-connected', key, outgoing: input.outgoing, ...(input.address === undefined ? {} : { address: input.address }), at: now })
  return undefined
}

/**
 * The handshake is done. Of two connections to one peer id from one host,
 * the one both ends keep stays (the other is closed or refused,
 * `duplicate-peer`); from another host the new one is refused
 * (`duplicate-peer-id`: a peer id is no proof). Then the peer filter.
 */
export function peerHandshaken (state: TorrentState, input: Input<'peer-handshaken'>, now: number, effects: TorrentEffect[]): RxTorrentError | undefined {
  const p = state.peers.get(input.peer)
  if (p === undefined) return new RxTorrentError('unknown-peer', `${input.peer} is not connecting`, { disposition: 'disconnect' })
  const id = hex(input.peerId)
  const duplicate = resolveDuplicate(state.swarm, state.ourPeerId, p.key, id)
  if (duplicate.kind === 'refuse-new' && !duplicate.sameHost) {
    return new RxTorrentError('duplicate-peer-id', `peer id ${id} is already connected from another address`, { disposition: 'disconnect' })
  }
  if (duplicate.kind !== 'unique') {
    const err = new RxTorrentError('duplicate-peer', `already connected to peer id ${id}`, { disposition: 'disconnect' })
    if (duplicate.kind === 'refuse-new') return err
    effects.push({ type: 'close', peer: duplicate.close, error: err })
  }
  const parsed = parsePeerId(input.peerId)
  const client = parsed.version === undefined ? parsed.client : `${parsed.client} ${parsed.version}`
  const refused = judge(state, { stage: 'handshaken', key: p.key, outgoing: p.outgoing, peerId: id, client, ...(p.address === undefined ? {} : { address: p.address }) }, p.banKey, effects)
  if (refused !== undefined) return refused
  p.fast = input.fast
  p.extended = input.extended
  dispatch(state, { type: 'handshake', key: p.key, peerId: id, client, at: now })
  return undefined
}

/** The connection may send: its session starts, our pieces (or none, superseeding) and allowed-fast set go out. */
export function peerOpen (state: TorrentState, key: string, effects: TorrentEffect[]): void {
  const p = state.peers.get(key)
  if (p === undefined || p.session !== undefined) return
  const s = new PeerSession({ geometry: state.geometry, fast: p.fast, extended: p.extended, ourHave: state.have })
  p.session = s
  const hides = state.seedingRun?.hidesPieces === true
  const messages = s.announce(hides ? new Bitfield(state.geometry.pieceCount) : state.have)
  if (!hides && state.digest !== undefined) {
    const have = state.have
    messages.push(...s.allowFast(allowedFastOffer({ host: p.address?.host, infoHash: state.infoHash, pieceCount: state.geometry.pieceCount, has: (i) => have.has(i), sha1: state.digest })))
  }
  effects.push({ type: 'send', peer: key, messages })
}

/** Opening messages sent: our interest, its requests, superseeding offers. */
export function peerReady (state: TorrentState, key: string, now: number, effects: TorrentEffect[]): void {
  const p = state.peers.get(key)
  if (p?.session === undefined) return
  updateInterest(state, p, now, effects)
  // No early choke round here: the peer has sent nothing yet, so it cannot be
  // interested; its `interested` asks for one (spaced rounds would otherwise
  // make every newcomer wait for the next).
  const run = state.seedingRun
  if (run !== undefined) sendOffers(state, callStrategy('seeding mode', state.strategies.seeding.name, () => run.joined(key, p.session?.peerHas ?? new Bitfield(0))), effects)
}

/** Superseeding offers, each as a `have` to its peer. */
export function sendOffers (state: TorrentState, offers: readonly SeedingOffer[], effects: TorrentEffect[]): void {
  for (const o of offers) {
    const s = state.peers.get(o.peer)?.session
    if (s !== undefined) effects.push({ type: 'send', peer: o.peer, messages: s.have(o.index) })
  }
}

/**
 * The peer's pieces changed (bitfield, have, don't-have): the swarm's count,
 * then our interest. The count goes to the swarm state at once when the
 * peer becomes a seed or stops being one, else with its bytes
 * (`flushTransfer`, before every choke round and progress): a `have` is the
 * commonest message of a swarm, and each swarm change makes a new state.
 */
function piecesChanged (state: TorrentState, p: EnginePeer, now: number, effects: TorrentEffect[]): void {
  const has = p.session?.peerHas
  if (has !== undefined) {
    if (state.swarm.peers.get(p.key)?.seed === has.complete) p.piecesPending = true
    else dispatch(state, { type: 'have-count', key: p.key, count: has.count, seed: has.complete })
  }
  // Its messages come in batches, and the batch's end tops its requests up once.
  updateInterest(state, p, now, effects, false)
}

/** What one of the peer's messages means for the torrent. */
export function peerEvent (state: TorrentState, key: string, event: PeerEvent, now: number, effects: TorrentEffect[]): void {
  const p = state.peers.get(key)
  const s = p?.session
  if (p === undefined || s === undefined) return
  const run = state.seedingRun
  const mode = state.strategies.seeding.name
  switch (event.type) {
    case 'bitfield':
      state.planner.peerHas(key, event.bitfield)
      piecesChanged(state, p, now, effects)
      if (run !== undefined) sendOffers(state, callStrategy('seeding mode', mode, () => run.peerBitfield(key, event.bitfield)), effects)
      break
    case 'have':
      state.planner.peerHave(key, event.index)
      piecesChanged(state, p, now, effects)
      if (run !== undefined) sendOffers(state, callStrategy('seeding mode', mode, () => run.peerHas(key, event.index)), effects)
      break
    case 'rejected': state.planner.release(key, event.ref); break
    case 'suggest': state.planner.suggest(key, event.index); break
    case 'choked': case 'unchoked':
      dispatch(state, { type: 'choke-changed', key, side: 'peer', choking: event.type === 'choked', at: now })
      break
    case 'interested': case 'not-interested':
      dispatch(state, { type: 'interest-changed', key, side: 'peer', interested: event.type === 'interested' })
      askEarlyRound(state, effects)
      break
    case 'unwanted-block': state.wasted += event.length; break
    default: break
  }
}

/** A typed extension event: BEP 54 don't-have, BEP 21 upload-only, the reachable address. */
export function peerExtension (state: TorrentState, key: string, event: TorrentExtensionEvent, now: number, effects: TorrentEffect[]): void {
  const p = state.peers.get(key)
  if (p === undefined) return
  switch (event.type) {
    case 'dont-have': {
      const s = p.session
      if (s === undefined || !s.peerHas.clear(event.index)) return
      state.planner.peerHas(key, s.peerHas)
      piecesChanged(state, p, now, effects)
      return
    }
    case 'upload-only': dispatch(state, { type: 'upload-only', key, uploadOnly: event.uploadOnly }); return
    case 'reachable': dispatch(state, { type: 'reachable', key, address: event.address }); return
    case 'request-limit': p.reqq = event.reqq; return
  }
}

/** The end of a batch of the peer's messages: the session's replies go out, dropped requests are freed, requests topped up. */
export function peerBatchEnd (state: TorrentState, key: string, now: number, effects: TorrentEffect[]): void {
  const p = state.peers.get(key)
  const s = p?.session
  if (p === undefined || s === undefined) return
  const out = s.drainOutgoing()
  if (out.length > 0) effects.push({ type: 'send', peer: key, messages: out })
  for (const ref of s.takeDropped()) state.planner.release(key, ref)
  topUp(state, p, now, effects)
  if (s.pendingRequests > 0) effects.push({ type: 'serve', peer: key })
}

/**
 * The connection closed: it leaves the swarm and the choke set at once; an
 * error that says `ban` bans its address, `fatal` stops the torrent. What it
 * had in flight is freed by `peer-released`, once the data plane is done
 * with it; until then its key is not admitted again.
 */
export function peerClosed (state: TorrentState, input: Input<'peer-closed'>, now: number, effects: TorrentEffect[]): void {
  const key = input.peer
  const p = state.peers.get(key)
  if (p === undefined) return
  flushTransfer(state, p, now)
  const err = input.error
  dispatch(state, { type: 'peer-closed', key, reason: closeReason(err), at: now })
  state.peers.delete(key)
  state.closing.add(key)
  state.seedingRun?.left(key)
  if (err !== undefined) closedWith(state, p, err, effects)
  if (p.session !== undefined && !p.session.amChoking) askEarlyRound(state, effects)
}

/**
 * A source (a connection, or a web seed) is done: its requests are freed,
 * blocks it delivered that the data plane never got are forgotten, pieces
 * it completed that never got verified are fetched again.
 */
export function peerReleased (state: TorrentState, input: Input<'peer-released'>, now: number, effects: TorrentEffect[]): void {
  const key = input.peer
  if (state.peers.has(key)) peerClosed(state, { type: 'peer-closed', peer: key }, now, effects)
  state.closing.delete(key)
  const held = input.held
  if (held !== undefined) state.planner.forgetUnheld(key, (r) => held(r.index, r.begin))
  for (const index of input.unfinished ?? []) if (!state.have.has(index)) state.planner.reset(index)
  state.planner.peerGone(key)
  topUpAll(state, now, effects)
}

function closedWith (state: TorrentState, p: EnginePeer, err: Error, effects: TorrentEffect[]): void {
  const d = isRxTorrentError(err) ? err.disposition : 'disconnect'
  if (d === 'fatal') { effects.push({ type: 'stop', error: err }); return }
  if (d === 'ban' && !state.bans.has(p.banKey)) { state.bans.add(p.banKey); effects.push({ type: 'ban', host: p.banKey }) }
  // Two peers that dial each other: one of the two connections closes, as expected; nothing to tell the user.
  if (isRxTorrentError(err) && err.code === 'duplicate-peer') return
  effects.push({ type: 'warning', message: `peer ${p.key} closed: ${err.message} (${d})`, peer: p.key, error: err })
}

/** Every choke round, the peer filter judges each admitted peer by its behaviour so far. */
export function judgePeers (state: TorrentState, now: number, effects: TorrentEffect[]): void {
  for (const p of [...state.peers.values()]) {
    const sp = state.swarm.peers.get(p.key)
    if (p.session === undefined || sp === undefined) continue
    const refused = judge(state, {
      stage: 'round', key: p.key, outgoing: p.outgoing, client: sp.client, downloaded: sp.downloaded, uploaded: sp.uploaded,
      connectedMs: now - sp.connectedAt, seed: p.session.peerHas.complete,
      ...(sp.peerId === undefined ? {} : { peerId: sp.peerId }),
      ...(p.address === undefined ? {} : { address: p.address })
    }, p.banKey, effects)
    if (refused !== undefined) effects.push({ type: 'close', peer: p.key, error: refused })
  }
}
