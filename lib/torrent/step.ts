/**
 * The torrent engine: `step(state, input, ctx) → { state, effects }`. Every
 * protocol decision of a running torrent is made here, from the input, the
 * state and the context (time and randomness), by the rules in this folder
 * and the strategies in the state. Nothing here does I/O or reads a clock;
 * the pipelines turn effects into sends, closes and timers.
 *
 * @example
 * let state = createTorrentState({ geometry, infoHash, peerId })
 * ;({ state } = step(state, { type: 'checked' }, ctx))
 * const r = step(state, { type: 'peer-connecting', peer: '10.0.0.2:6881', outgoing: true }, ctx)
 * // r.refused === undefined: admitted; r.effects: what to do now
 */
import { LIMITS } from '../constants.js'
import { isRxTorrentError } from '../errors.js'
import { chokeRound } from './choking.js'
import { judgePeers, peerBatchEnd, peerClosed, peerReleased, peerConnecting, peerEvent, peerExtension, peerHandshaken, peerOpen, peerReady } from './peers.js'
import { blockReceived, checked, nextUpload, nextUploads, pieceVerified } from './pieces.js'
import { expireRequests } from './requests.js'
import type { TorrentState } from './state.js'
import type { TorrentContext, TorrentEffect, TorrentInput, TorrentStep } from './types.js'

/**
 * Apply one input. A strategy that throws stops the torrent: the step
 * returns a single `stop` effect with `strategy-failed` and every later
 * step returns nothing.
 * @throws nothing for peer input; programming errors in the engine propagate
 */
export function step (state: TorrentState, input: TorrentInput, ctx: TorrentContext): TorrentStep<TorrentState> {
  if (state.stopped !== undefined) return input.type === 'block' ? { state, effects: [], accepted: false } : { state, effects: [] }
  const effects: TorrentEffect[] = []
  try {
    return apply(state, input, ctx, effects)
  } catch (err) {
    if (!isRxTorrentError(err) || err.code !== 'strategy-failed') throw err
    state.stopped = err
    return { state, effects: [{ type: 'stop', error: err }] }
  }
}

/**
 * Carry out one input. Every reply is built here as an object literal of
 * its own shape (no spread of a reply into the result: with several reply
 * shapes that spread took V8's slow path, a measurable cost per block).
 */
function apply (state: TorrentState, input: TorrentInput, ctx: TorrentContext, effects: TorrentEffect[]): TorrentStep<TorrentState> {
  const now = ctx.now
  const done = { state, effects }
  switch (input.type) {
    case 'checked': checked(state, ctx.random); return done
    case 'peer-connecting': return refusal(done, peerConnecting(state, input, now, effects))
    case 'peer-handshaken': return refusal(done, peerHandshaken(state, input, now, effects))
    case 'peer-open': peerOpen(state, input.peer, effects); return done
    case 'peer-ready': peerReady(state, input.peer, now, effects); return done
    case 'peer-event': peerEvent(state, input.peer, input.event, now, effects); return done
    case 'block': return { state, effects, accepted: blockReceived(state, input.peer, input.ref, now, effects) }
    case 'batch-end': peerBatchEnd(state, input.peer, now, effects); return done
    case 'upload-next': return upload(state, input, now, effects)
    case 'piece-verified': pieceVerified(state, input.index, input.ok, input.from, now, effects); return done
    case 'extension': peerExtension(state, input.peer, input.event, now, effects); return done
    case 'peer-closed': peerClosed(state, input, now, effects); return done
    case 'peer-released': peerReleased(state, input, now, effects); return done
    case 'choke-round':
      if (!input.early) { judgePeers(state, now, effects); pickerWarning(state, effects) }
      effects.push(...chokeRound(state, input.early, ctx))
      return done
    case 'request-expiry': expireRequests(state, now, LIMITS.requestTimeoutMs, effects); return done
  }
}

function refusal (done: TorrentStep<TorrentState>, err: ReturnType<typeof peerConnecting>): TorrentStep<TorrentState> {
  return err === undefined ? done : { state: done.state, effects: done.effects, refused: err }
}

/** Picks the planner could not use since the last regular round: one warning. */
function pickerWarning (state: TorrentState, effects: TorrentEffect[]): void {
  const n = state.picker.takeIgnored()
  if (n > 0) effects.push({ type: 'warning', message: `the piece picker returned ${n} piece(s) that cannot be fetched (held, missing at the peer, unwanted or in progress); ignored` })
}

/** `upload-next`: one request to serve, or with `batch` several (each result one literal of a fixed shape). */
function upload (state: TorrentState, input: Extract<TorrentInput, { type: 'upload-next' }>, now: number, effects: TorrentEffect[]): TorrentStep<TorrentState> {
  if (input.batch === undefined) {
    const serve = nextUpload(state, input.peer, now, effects)
    return serve === undefined ? { state, effects } : { state, effects, serve }
  }
  const served = nextUploads(state, input.peer, input.batch, now, effects)
  return served.length === 0 ? { state, effects } : { state, effects, serve: served[0], served }
}
