/**
 * MetadataCandidates against a swarm model: honest peers state the real size
 * and answer with the real bytes; liars state any size (16 MiB included) or
 * the real one, and stay silent or answer with garbage. Whatever the order of
 * events, the metadata is never anything but the real bytes, no honest peer
 * is ever blamed, the number of candidates stays bounded, and once the liars
 * have had their turn the honest peers complete it.
 */
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../lib/errors.js'
import { MetadataCandidates } from '../lib/extensions/metadata-candidates.js'
import { metadataPieceLength } from '../lib/extensions/ut-metadata.js'

const sha1 = (d: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(d).digest())
const P = 16384
const TIMEOUT = 1000

type Kind = 'honest' | 'silent' | 'garbage' | 'corrupt-one'
interface PeerModel { readonly kind: Kind, readonly size: number }

/** `length` deterministic bytes from `seed` (fast-check is slow at drawing 50 KB byte by byte). */
function bytesOf (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

const liarSize = fc.oneof(fc.integer({ min: 1, max: 3 * P + 100 }), fc.constant(16 * 1024 * 1024))
const peerArb = (realSize: number): fc.Arbitrary<PeerModel> => fc.oneof(
  fc.constant<PeerModel>({ kind: 'honest', size: realSize }),
  fc.record({ kind: fc.constantFrom<Kind>('silent', 'garbage'), size: fc.oneof(liarSize, fc.constant(realSize)) }),
  fc.constant<PeerModel>({ kind: 'corrupt-one', size: realSize })
)
const swarmArb = fc.integer({ min: 1, max: 3 * P + 100 }).chain((realSize) => fc.record({
  realSize: fc.constant(realSize),
  seed: fc.nat(),
  peers: fc.array(peerArb(realSize), { minLength: 1, maxLength: 6 }).filter((ps) => ps.some((p) => p.kind === 'honest')),
  schedule: fc.array(fc.nat({ max: 5 }), { maxLength: 60 }),
  maxCandidates: fc.integer({ min: 2, max: 8 })
}))

describe('MetadataCandidates in a swarm of honest peers and liars', () => {
  it('completes with the real bytes from the honest peers, never blaming one, within its bounds', () => {
    fc.assert(fc.property(swarmArb, ({ realSize, seed, peers, schedule, maxCandidates }) => {
      const metadata = bytesOf(realSize, seed)
      const c = new MetadataCandidates({ infoHash: sha1(metadata), sha1, maxCandidates, requestTimeoutMs: TIMEOUT })
      const names = peers.map((p, i) => `${p.kind}-${i}`)
      const connected = new Set<number>()
      let now = 0
      let done: Uint8Array | undefined
      const disconnect = (i: number): void => { connected.delete(i); c.removePeer(names[i] as string) }
      const answer = (i: number, piece: number): Uint8Array => {
        const p = peers[i] as PeerModel
        const length = metadataPieceLength(p.size, piece)
        if (p.kind === 'honest' || (p.kind === 'corrupt-one' && piece > 0)) return metadata.subarray(piece * P, piece * P + length)
        return new Uint8Array(length).fill(0x5a ^ piece)
      }
      /** Peer `i` takes one step: states its size, or is asked for a piece and (unless silent) answers. True when it did something. */
      const act = (i: number): boolean => {
        const name = names[i] as string
        const p = peers[i] as PeerModel
        if (done !== undefined || c.isBanned(name)) return false
        if (!connected.has(i)) {
          try { c.state(name, p.size); connected.add(i); return true } catch (e) { expect(e).toBeInstanceOf(ProtocolError); return false }
        }
        const piece = c.nextRequest(name, now)
        if (piece === undefined || p.kind === 'silent') return piece !== undefined
        const result = c.receive(name, piece, p.size, answer(i, piece))
        if (result === 'more') return true
        if ('done' in result) { done = result.done; return true }
        for (const bad of result.failed) {
          expect(bad.startsWith('honest'), `honest peer ${bad} blamed`).toBe(false)
          disconnect(names.indexOf(bad))
        }
        return true
      }
      const expire = (): void => {
        now += TIMEOUT
        for (const late of c.overdue(now)) {
          expect(late.startsWith('honest'), `honest peer ${late} timed out`).toBe(false)
          disconnect(names.indexOf(late))
        }
      }
      for (const step of schedule) {
        if (step === 5) expire()
        else act(step % peers.length)
        expect(c.candidates.length).toBeLessThanOrEqual(maxCandidates)
      }
      // Then every peer acts in turn; when nobody can, time passes and silent peers are dropped.
      for (let round = 0; done === undefined && round < 2000; round++) {
        let busy = false
        for (let i = 0; i < peers.length; i++) busy = act(i) || busy
        if (!busy || round % 50 === 49) expire()
        expect(c.candidates.length).toBeLessThanOrEqual(maxCandidates)
      }
      expect(done !== undefined && Buffer.compare(done, metadata) === 0).toBe(true)
      for (const n of names) if (n.startsWith('honest')) expect(c.isBanned(n)).toBe(false)
    }), { numRuns: 150 })
  })
})
