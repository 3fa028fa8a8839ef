import type { Choker } from '../../lib/choke/types.js'
import { generatePeerId } from '../../lib/peer-id/generate-peer-id.js'
import type { PiecePicker } from '../../lib/pieces/piece-picker.js'
import { xorshift32 } from '../../lib/pieces/xorshift32.js'
import { defaultChoker } from '../../lib/torrent/state.js'
import type { InterestPolicy, PeerFilter, RequestDepthPolicy, SeedingMode } from '../../lib/torrent/strategies.js'
import type { ChokeRoundTrace, SimPeerContext, SimPeerOptions, SimStrategy } from './types.js'

/** Port every simulated peer listens on (each has its own host). */
export const SIM_PORT = 6881

/** A deterministic 32-bit mix of a seed and a stream number (murmur3's finaliser). */
export function mixSeed (seed: number, stream: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The `10.a.b.c` host of the `n`-th peer (from 1). */
export function simHost (n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

function resolve<T> (s: SimStrategy<T> | undefined, ctx: SimPeerContext): T | undefined {
  return typeof s === 'function' ? (s as (c: SimPeerContext) => T)(ctx) : s
}

/** What a simulated peer runs with, made from its options and its seed (the same in both models). */
export interface SimPeerSetup {
  readonly peerId: Uint8Array
  /** The engine's randomness (picker ties, optimistic unchokes). */
  readonly random: () => number
  readonly picker?: PiecePicker
  readonly choker?: Choker
  readonly interest?: InterestPolicy
  readonly requestDepth?: RequestDepthPolicy
  readonly peerFilter?: PeerFilter
  readonly seedingMode?: SeedingMode
}

/** Where choke rounds are traced, and how peers are named in the trace. */
export interface SimTrace {
  readonly rounds: ChokeRoundTrace[]
  /** Peer name of a host. */
  readonly nameOf: (host: string) => string
}

/**
 * The peer's strategies (each factory called with the peer's context), its
 * peer id and its engine's randomness, all drawn from `peerSeed`'s streams;
 * with a trace, the choker records every round it decides.
 */
export function simPeerSetup (name: string, role: 'seed' | 'leecher', options: SimPeerOptions, peerSeed: number, trace: SimTrace | undefined): SimPeerSetup {
  const ctx: SimPeerContext = { name, role, random: xorshift32(mixSeed(peerSeed, 1)) }
  const own = resolve(options.choker, ctx)
  const choker = trace === undefined ? own : traced(name, own ?? defaultChoker(), trace)
  const idRandom = xorshift32(mixSeed(peerSeed, 2))
  const picker = resolve(options.picker, ctx)
  const interest = resolve(options.interest, ctx)
  const requestDepth = resolve(options.requestDepth, ctx)
  const peerFilter = resolve(options.peerFilter, ctx)
  const seedingMode = resolve(options.seedingMode, ctx)
  return {
    peerId: generatePeerId(Uint8Array.from({ length: 12 }, () => Math.floor(idRandom() * 256))),
    random: xorshift32(mixSeed(peerSeed, 3)),
    ...(picker === undefined ? {} : { picker }),
    ...(choker === undefined ? {} : { choker }),
    ...(interest === undefined ? {} : { interest }),
    ...(requestDepth === undefined ? {} : { requestDepth }),
    ...(peerFilter === undefined ? {} : { peerFilter }),
    ...(seedingMode === undefined ? {} : { seedingMode })
  }
}

function traced (peer: string, inner: Choker, trace: SimTrace): Choker {
  const nameOf = (key: string): string => trace.nameOf(key.replace(/:\d+$/, ''))
  return {
    name: inner.name,
    decide: (peers, c) => {
      const d = inner.decide(peers, c)
      trace.rounds.push({ peer, at: c.now, round: c.round, early: c.early === true, seeding: c.seeding, unchoked: [...d.unchoke].map(nameOf).sort(), optimistic: d.optimistic === undefined ? null : nameOf(d.optimistic) })
      return d
    }
  }
}
