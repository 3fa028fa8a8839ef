import { createHash } from 'node:crypto'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { createTorrentState, type TorrentState, type TorrentStateOptions } from '../../../lib/torrent/state.js'
import { step } from '../../../lib/torrent/step.js'
import type { TorrentContext, TorrentEffect, TorrentInput, TorrentStep } from '../../../lib/torrent/types.js'
import type { Torrent } from '../../../lib/metainfo/types.js'

/** A torrent shape: `pieces` pieces of 32 KiB (two blocks each). */
export function geometry (pieces: number): ReturnType<typeof geometryOf> {
  return geometryOf({ pieceLength: 32768, length: pieces * 32768, pieceCount: pieces } as unknown as Torrent)
}

export const sha1 = (d: Uint8Array): Uint8Array => createHash('sha1').update(d).digest()

/** A fresh state with our peer id `0xaa…`, the data checked (nothing held unless `have`). */
export function started (pieces: number, options: Partial<TorrentStateOptions> & { have?: readonly number[] } = {}): TorrentState {
  const state = createTorrentState({ geometry: geometry(pieces), infoHash: new Uint8Array(20).fill(7), peerId: new Uint8Array(20).fill(0xaa), random: () => 0.5, ...options })
  for (const i of options.have ?? []) state.planner.pieceVerified(i)
  run(state, { type: 'checked' })
  return state
}

/** A clock that the tests move by hand. */
export const clock = { t: 1000 }
export const ctx = (): TorrentContext => ({ now: clock.t, random: () => 0.5 })

/** One step at the test clock. */
export function run (state: TorrentState, input: TorrentInput): TorrentStep<TorrentState> {
  return step(state, input, ctx())
}

/** A peer id whose bytes are all `b`. */
export const idOf = (b: number): Uint8Array => new Uint8Array(20).fill(b)

/** Connect, handshake, open and ready a peer at `host:port`; returns every effect of the four steps. */
export function connect (state: TorrentState, key: string, options: { id?: number, fast?: boolean, outgoing?: boolean } = {}): TorrentEffect[] {
  const [host, port] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))]
  const effects: TorrentEffect[] = []
  const a = run(state, { type: 'peer-connecting', peer: key, outgoing: options.outgoing ?? true, address: { host, port } })
  if (a.refused !== undefined) throw a.refused
  effects.push(...a.effects)
  const b = run(state, { type: 'peer-handshaken', peer: key, peerId: idOf(options.id ?? (Number(host.split('.').at(-1)) * 7 + port) % 256), fast: options.fast ?? true, extended: true })
  if (b.refused !== undefined) throw b.refused
  effects.push(...b.effects)
  effects.push(...run(state, { type: 'peer-open', peer: key }).effects)
  effects.push(...run(state, { type: 'peer-ready', peer: key }).effects)
  return effects
}

/** A bitfield of `pieces` with `set` set. */
export function bits (pieces: number, set: readonly number[] | 'all'): Bitfield {
  const b = new Bitfield(pieces)
  for (let i = 0; i < pieces; i++) if (set === 'all' || set.includes(i)) b.set(i)
  return b
}

/** The peer announces pieces: a `bitfield` message through its session, then the event. */
export function announce (state: TorrentState, key: string, has: Bitfield): TorrentEffect[] {
  const s = state.peers.get(key)?.session
  if (s === undefined) throw new Error(`${key} has no session`)
  const events = s.handle({ type: 'bitfield', bits: has.bytes }, clock.t)
  return events.flatMap((event) => [...run(state, { type: 'peer-event', peer: key, event }).effects])
}

/** Feed one message to the peer's session and its events to the engine. */
export function message (state: TorrentState, key: string, msg: Record<string, unknown>): TorrentEffect[] {
  const s = state.peers.get(key)?.session
  if (s === undefined) throw new Error(`${key} has no session`)
  const events = s.handle(msg as never, clock.t)
  return events.flatMap((event) => [...run(state, { type: 'peer-event', peer: key, event }).effects])
}

/** The message types sent to `key` in `effects`, in order. */
export function sent (effects: readonly TorrentEffect[], key: string): string[] {
  return effects.flatMap((e) => e.type === 'send' && e.peer === key ? e.messages.map((m) => m.type) : [])
}
