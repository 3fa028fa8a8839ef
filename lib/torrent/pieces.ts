/**
 * Blocks and pieces: a block counts as downloaded and goes on only while
 * it is still wanted; a verified piece is announced to every peer that
 * lacks it and may change our interest; a failed piece is fetched again,
 * and only a sole source of it is blamed (a piece mixed from several
 * sources strikes none of them, so an honest peer is never banned for
 * sharing a piece with a liar; the liar's own pieces convict it).
 * @see BEP 3, BEP 21 (upload only once complete)
 */
import { HashMismatchError } from '../errors.js'
import { encodeUploadOnly } from '../extensions/upload-only.js'
import type { BlockRef } from '../pieces/geometry.js'
import { sendCancels, topUpAll, updateInterest } from './requests.js'
import { isComplete, type EnginePeer, type TorrentState } from './state.js'
import { callStrategy, strategyFailed } from './strategy-call.js'
import type { SeedingRun } from './strategies.js'
import type { TorrentEffect, UploadBatch } from './types.js'

/** A block arrived from `key` (a peer or another source): true when still wanted. */
export function blockReceived (state: TorrentState, key: string, ref: BlockRef, now: number, effects: TorrentEffect[]): boolean {
  const p = state.peers.get(key)
  if (p !== undefined) {
    p.pendingDown += ref.length
    p.pendingBlockAt = now
    p.downRate.add(ref.length, now)
  }
  state.down.add(ref.length, now)
  const verdict = state.planner.receive(key, ref)
  sendCancels(state, effects)
  if (verdict === 'accepted') return true
  state.wasted += ref.length
  return false
}

/** The peer's writer is ready: the next request to serve (others the seeding mode refuses are rejected). */
export function nextUpload (state: TorrentState, key: string, now: number, effects: TorrentEffect[]): BlockRef | undefined {
  const p = state.peers.get(key)
  if (p === undefined) return undefined
  const ref = takeServable(state, p, key, effects)
  if (ref !== undefined) countUpload(state, p, ref.length, now)
  return ref
}

/**
 * The peer's writer is ready for several blocks: the next requests to serve,
 * oldest first, as `batch` bounds them (the first always; then while under
 * `maxBlocks` and `maxBytes`), up to and including the first whose piece is
 * not `ready`. Requests the seeding mode refuses are rejected as in
 * {@link nextUpload}. The upload rates count the whole batch at once.
 */
export function nextUploads (state: TorrentState, key: string, batch: UploadBatch, now: number, effects: TorrentEffect[]): BlockRef[] {
  const p = state.peers.get(key)
  const refs: BlockRef[] = []
  if (p === undefined) return refs
  let bytes = 0
  while (refs.length < batch.maxBlocks && bytes < batch.maxBytes) {
    const ref = takeServable(state, p, key, effects)
    if (ref === undefined) break
    refs.push(ref)
    bytes += ref.length
    if (batch.ready !== undefined && !batch.ready(ref.index)) break
  }
  if (bytes > 0) countUpload(state, p, bytes, now)
  return refs
}

/** The peer's oldest request its seeding mode lets us serve; the ones before it are rejected (BEP 6) or dropped. */
function takeServable (state: TorrentState, p: EnginePeer, key: string, effects: TorrentEffect[]): BlockRef | undefined {
  const s = p.session
  if (s === undefined) return undefined
  const run = state.seedingRun
  let ref = s.takeRequest()
  while (ref !== undefined && run !== undefined && !mayServe(state, run, key, ref.index)) {
    if (s.fast) effects.push({ type: 'send', peer: key, messages: [{ type: 'reject-request', index: ref.index, begin: ref.begin, length: ref.length }] })
    ref = s.takeRequest()
  }
  return ref
}

/** The seeding mode's `mayServe`, called once per request served: no closure per call (as `callStrategy` would take). */
function mayServe (state: TorrentState, run: SeedingRun, key: string, index: number): boolean {
  try {
    return run.mayServe(key, index)
  } catch (cause) {
    throw strategyFailed('seeding mode', state.strategies.seeding.name, cause)
  }
}

function countUpload (state: TorrentState, p: EnginePeer, bytes: number, now: number): void {
  p.pendingUp += bytes
  p.upRate.add(bytes, now)
  state.up.add(bytes, now)
}

/** A piece passed or failed its hash check. */
export function pieceVerified (state: TorrentState, index: number, ok: boolean, from: string, now: number, effects: TorrentEffect[]): void {
  if (ok) { pieceGood(state, index, now, effects); return }
  pieceBad(state, index, from, effects)
  topUpAll(state, now, effects)
}

function pieceGood (state: TorrentState, index: number, now: number, effects: TorrentEffect[]): void {
  state.planner.pieceVerified(index)
  for (const p of state.peers.values()) {
    const s = p.session
    if (s === undefined) continue
    // A seed will never ask for it: one small write per piece spared on both ends.
    if (!s.peerHas.complete) effects.push({ type: 'send', peer: p.key, messages: s.have(index) })
    // A peer with requests in flight is topped up as its blocks come; an idle one may have work now.
    updateInterest(state, p, now, effects, s.outstanding.size === 0)
  }
  effects.push({ type: 'verified', index })
  if (!isComplete(state) || state.completed) return
  state.completed = true
  // BEP 21: once everything we want is here we only upload; say so to peers that understand it.
  const payload = encodeUploadOnly(true)
  for (const p of state.peers.values()) if (p.session !== undefined) effects.push({ type: 'send-extension', peer: p.key, name: 'upload_only', payload })
  effects.push({ type: 'complete' })
}

function pieceBad (state: TorrentState, index: number, from: string, effects: TorrentEffect[]): void {
  state.hashFailures++
  const sources = [...new Set(state.planner.pieceFailed(index))]
  effects.push({ type: 'warning', message: `piece ${index} failed its hash check (from ${sources.join(', ')})`, peer: sources.length === 1 ? sources[0] as string : from, error: new HashMismatchError(index) })
  if (sources.length !== 1) return
  const key = sources[0] as string
  const p = state.peers.get(key)
  // A source that is not a connection (a web seed) is struck by its key.
  const strikeKey = p?.banKey ?? key
  const strikes = (state.hashStrikes.get(strikeKey) ?? 0) + 1
  state.hashStrikes.set(strikeKey, strikes)
  if (strikes < state.maxHashFailures) return
  state.bans.add(strikeKey)
  effects.push({ type: 'ban', host: strikeKey })
  if (p !== undefined) effects.push({ type: 'close', peer: key, error: new HashMismatchError(index, { disposition: 'ban' }) })
}

/** The data was checked: the torrent runs; a complete one starts its seeding mode. */
export function checked (state: TorrentState, random: () => number): void {
  state.started = true
  state.completed = isComplete(state)
  if (!state.completed) return
  const mode = state.strategies.seeding
  state.seedingRun = callStrategy('seeding mode', mode.name, () => mode.start({ pieceCount: state.geometry.pieceCount, random }))
}
