import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../lib/errors.js'
import { MetadataCandidates, type MetadataCandidateResult } from '../../../lib/extensions/metadata-candidates.js'
import { infoDict, sha1 } from './helpers.js'

const P = 16384
const MiB16 = 16 * 1024 * 1024
const piece = (bytes: Uint8Array, i: number): Uint8Array => bytes.subarray(i * P, Math.min(bytes.length, (i + 1) * P))
const junk = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff)
const codeOf = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    return [(e as ProtocolError).code, (e as ProtocolError).disposition]
  }
  throw new Error('expected a ProtocolError')
}

/** Requests every piece `peer` may have and answers each from `bytes`; returns the last result. */
function serveAll (c: MetadataCandidates, peer: string, bytes: Uint8Array, size = bytes.length, now = 0): MetadataCandidateResult {
  let result: MetadataCandidateResult = 'more'
  for (let p = c.nextRequest(peer, now); p !== undefined; p = c.nextRequest(peer, now)) {
    result = c.receive(peer, p, size, bytes.length >= size ? piece(bytes, p) : junk(Math.min(P, size - p * P), p))
    if (result !== 'more') return result
  }
  return result
}

describe('MetadataCandidates', () => {
  const info = infoDict(2000) // three metadata pieces
  const infoHash = sha1(info)
  const make = (extra: Partial<ConstructorParameters<typeof MetadataCandidates>[0]> = {}): MetadataCandidates =>
    new MetadataCandidates({ infoHash, sha1, ...extra })

  it('a first peer stating 16 MiB does not stop an honest peer stating the real size', () => {
    const c = make()
    c.state('evil', MiB16)
    expect(c.nextRequest('evil', 0)).toBe(0)
    c.state('honest', info.length) // once "size mismatch": now a second candidate
    expect(c.candidates.map((s) => [s.size, s.peers, s.fetching])).toEqual([[info.length, ['honest'], true], [MiB16, ['evil'], true]])
    expect(serveAll(c, 'honest', info)).toEqual({ done: info, from: ['honest'] })
    expect(c.done).toEqual(info)
    expect(c.nextRequest('evil', 0)).toBeUndefined()
  })

  it('fetches two sizes at once, each only from the peers that stated it, and prefers the size more peers state', () => {
    const c = make({ maxFetchingBytes: MiB16 })
    c.state('a', MiB16)
    c.state('b', MiB16)
    c.state('honest', info.length)
    // Two peers state 16 MiB: preferred; with a 16 MiB budget the small one waits.
    expect(c.candidates.map((s) => [s.size, s.fetching])).toEqual([[MiB16, true], [info.length, false]])
    expect(c.nextRequest('honest', 0)).toBeUndefined()
    expect(c.nextRequest('a', 0)).toBe(0)
    expect(c.nextRequest('b', 0)).toBe(1)
    expect(c.nextRequest('a', 0)).toBe(2)
    expect(c.nextRequest('a', 0)).toBeUndefined() // two outstanding per peer
    // Both leave: the 16 MiB candidate is forgotten and the small one is fetched.
    c.removePeer('a')
    c.removePeer('b')
    expect(c.candidates.map((s) => s.size)).toEqual([info.length])
    expect(serveAll(c, 'honest', info)).toEqual({ done: info, from: ['honest'] })
  })

  it('with the default budget both sizes are fetched in parallel, pieces attributed per size', () => {
    const c = make()
    const other = infoDict(1500)
    c.state('x', other.length)
    c.state('y', info.length)
    expect(c.candidates.every((s) => s.fetching)).toBe(true)
    expect(c.nextRequest('x', 0)).toBe(0)
    expect(c.nextRequest('y', 0)).toBe(0)
    expect(c.receive('x', 0, other.length, piece(other, 0))).toBe('more')
    expect(codeOf(() => c.receive('y', 0, other.length, piece(other, 0)))).toEqual(['metadata-size-changed', 'disconnect'])
    expect(c.receive('y', 0, info.length, piece(info, 0))).toBe('more')
    expect(serveAll(c, 'y', info)).toEqual({ done: info, from: ['y'] })
  })

  it('a candidate that fails its hash bans only its sole contributor; the other supporters keep fetching it', () => {
    const c = make()
    const forged = info.slice()
    forged[100] = (forged[100] ?? 0) ^ 1
    c.state('mallory', info.length)
    c.state('alice', info.length)
    c.state('bob', 4000)
    const result = serveAll(c, 'mallory', forged)
    expect(result).toEqual({ failed: ['mallory'], suspects: [], size: info.length })
    expect(c.isBanned('mallory')).toBe(true)
    expect(codeOf(() => { c.state('mallory', info.length) })).toEqual(['metadata-peer-banned', 'ban'])
    expect(c.candidates.map((s) => [s.size, s.peers, s.received])).toEqual([[4000, ['bob'], 0], [info.length, ['alice'], 0]])
    expect(serveAll(c, 'alice', info)).toEqual({ done: info, from: ['alice'] })
  })

  it('a failure with several contributors blames nobody yet, then fetches from one peer at a time until the liar is found', () => {
    const c = make()
    const forged = info.slice()
    forged[20000] = (forged[20000] ?? 0) ^ 1 // in piece 1
    c.state('alice', info.length)
    c.state('mallory', info.length)
    expect(c.nextRequest('alice', 0)).toBe(0)
    expect(c.nextRequest('mallory', 0)).toBe(1)
    expect(c.nextRequest('alice', 0)).toBe(2)
    expect(c.receive('alice', 0, info.length, piece(info, 0))).toBe('more')
    expect(c.receive('mallory', 1, info.length, piece(forged, 1))).toBe('more')
    expect(c.receive('alice', 2, info.length, piece(info, 2))).toEqual({ failed: [], suspects: ['alice', 'mallory'], size: info.length })
    expect(c.isBanned('alice') || c.isBanned('mallory')).toBe(false)
    // One source at a time: mallory asks first and gets the whole turn.
    expect(c.nextRequest('mallory', 1)).toBe(0)
    expect(c.nextRequest('alice', 1)).toBeUndefined()
    c.release('mallory', 0) // it rejected piece 0: still its turn
    expect(c.nextRequest('alice', 1)).toBeUndefined()
    expect(serveAll(c, 'mallory', forged, info.length, 1)).toEqual({ failed: ['mallory'], suspects: [], size: info.length })
    // Then alice's turn; her bytes verify.
    expect(serveAll(c, 'alice', info, info.length, 2)).toEqual({ done: info, from: ['alice'] })
  })

  it('garbage pieces: wrong length, out of range, unrequested or re-sent pieces never fill a candidate', () => {
    const c = make()
    c.state('g', info.length)
    c.state('h', info.length)
    expect(codeOf(() => c.receive('g', 0, info.length, new Uint8Array(P + 1)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(codeOf(() => c.receive('g', 2, info.length, new Uint8Array(P)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(codeOf(() => c.receive('g', 3, info.length, new Uint8Array(10)))).toEqual(['metadata-piece-out-of-range', 'disconnect'])
    expect(codeOf(() => c.receive('nobody', 0, info.length, piece(info, 0)))).toEqual(['metadata-size-changed', 'disconnect'])
    // Unsolicited: ignored, so a peer cannot plant a piece another peer fetches.
    expect(c.receive('g', 0, info.length, junk(P, 1))).toBe('more')
    expect(c.candidates[0]?.received).toBe(0)
    expect(c.nextRequest('h', 0)).toBe(0)
    expect(c.receive('g', 0, info.length, junk(P, 2))).toBe('more') // requested from h, not g
    expect(c.receive('h', 0, info.length, piece(info, 0))).toBe('more')
    expect(c.receive('h', 0, info.length, junk(P, 3))).toBe('more') // already in
    expect(serveAll(c, 'h', info)).toEqual({ done: info, from: ['h'] })
  })

  it('a silent peer is overdue after the request timeout; its pieces go to the others', () => {
    const c = make({ requestTimeoutMs: 15_000 })
    c.state('silent', info.length)
    c.state('honest', info.length)
    expect(c.nextRequest('silent', 1000)).toBe(0)
    expect(c.nextRequest('silent', 1000)).toBe(1)
    expect(c.nextRequest('honest', 1000)).toBe(2)
    expect(c.receive('honest', 2, info.length, piece(info, 2))).toBe('more')
    expect(c.overdue(15_999)).toEqual([])
    expect(c.overdue(16_000)).toEqual(['silent'])
    c.removePeer('silent')
    expect(c.overdue(99_999)).toEqual([])
    expect(serveAll(c, 'honest', info)).toEqual({ done: info, from: ['honest'] })
  })

  it('a slow peer does not hold a piece up: once every piece is asked for, an idle supporter is asked too and the first answer wins', () => {
    const c = make()
    c.state('slow', info.length)
    c.state('fast', info.length)
    expect(c.nextRequest('slow', 0)).toBe(0)
    expect(c.nextRequest('slow', 0)).toBe(1)
    expect(c.nextRequest('fast', 0)).toBe(2)
    expect(c.nextRequest('fast', 0)).toBe(0) // asked of one peer so far, like piece 1: the lower
    expect(c.receive('fast', 0, info.length, piece(info, 0))).toBe('more')
    expect(c.receive('slow', 0, info.length, junk(P, 9))).toBe('more') // too late: ignored
    expect(c.nextRequest('fast', 0)).toBe(1)
    expect(c.receive('fast', 2, info.length, piece(info, 2))).toBe('more')
    expect(c.receive('fast', 1, info.length, piece(info, 1))).toEqual({ done: info, from: ['fast'] })
  })

  it('a silent peer alone on a 16 MiB candidate: once it times out and leaves, the candidate and its memory are gone', () => {
    const c = make()
    c.state('silent', MiB16)
    expect(c.nextRequest('silent', 0)).toBe(0)
    expect(c.overdue(15_000)).toEqual(['silent'])
    c.removePeer('silent')
    expect(c.candidates).toEqual([])
  })

  it('a 16 MiB garbage candidate fails its hash and bans its source while the real one completes', () => {
    const c = make()
    const size = 3 * P + 5 // a small stand-in for 16 MiB: the rule does not depend on the size
    c.state('garbage', size)
    c.state('honest', info.length)
    expect(serveAll(c, 'garbage', new Uint8Array(0), size)).toEqual({ failed: ['garbage'], suspects: [], size })
    expect(c.candidates.map((s) => s.size)).toEqual([info.length])
    expect(serveAll(c, 'honest', info)).toEqual({ done: info, from: ['honest'] })
  })

  it('bounds: sizes over the maximum and more than maxCandidates sizes are refused; a peer may restate its size', () => {
    const c = make({ maxSize: 1_000_000, maxCandidates: 2 })
    for (const size of [0, -1, 1.5, 1_000_001, Number.NaN]) expect(codeOf(() => { c.state('p', size) })).toEqual(['bad-metadata-size', 'disconnect'])
    c.state('a', 1000)
    c.state('b', 2000)
    expect(codeOf(() => { c.state('c', 3000) })).toEqual(['too-many-metadata-sizes', 'disconnect'])
    c.state('c', 2000)
    c.state('a', 3000) // a was alone on 1000: moving frees its slot
    expect(c.candidates.map((s) => [s.size, s.peers])).toEqual([[2000, ['b', 'c']], [3000, ['a']]])
    expect(c.nextRequest('a', 0)).toBe(0)
    c.state('a', 2000) // restating releases its request on 3000, which is then forgotten
    expect(c.candidates.map((s) => [s.size, s.peers])).toEqual([[2000, ['b', 'c', 'a']]])
  })
})
