import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../../lib/errors.js'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { geometryOf } from '../../../lib/pieces/geometry.js'
import { PeerSession } from '../../../lib/peer/peer-session.js'
import type { PeerSessionOptions } from '../../../lib/peer/peer-session.js'
import type { Message } from '../../../lib/wire/types.js'

const K16 = 16 * 1024
/** 10 pieces of 32 KiB, the last one 1000 bytes. */
const geometry = geometryOf({ length: 9 * 2 * K16 + 1000, pieceLength: 2 * K16 })

function session (opts: Partial<PeerSessionOptions> = {}): PeerSession {
  return new PeerSession({ geometry, fast: false, extended: false, ourHave: Bitfield.full(geometry.pieceCount), ...opts })
}

function violation (fn: () => unknown, code: string): void {
  let thrown: unknown
  try { fn() } catch (err) { thrown = err }
  expect(thrown).toBeInstanceOf(ProtocolError)
  expect((thrown as ProtocolError).code).toBe(code)
  expect((thrown as ProtocolError).disposition).toBe('disconnect')
}

const req = (index: number, begin: number, length = K16): Message => ({ type: 'request', index, begin, length })

describe('PeerSession: peer state', () => {
  it('starts choked and uninterested on both sides, with an empty peerHas', () => {
    const s = session()
    expect([s.amChoking, s.amInterested, s.peerChoking, s.peerInterested]).toEqual([true, false, true, false])
    expect(s.peerHas.length).toBe(10)
    expect(s.peerHas.empty).toBe(true)
  })

  it('reports choke, unchoke, interest changes once each', () => {
    const s = session()
    expect(s.handle({ type: 'unchoke' }, 0)).toEqual([{ type: 'unchoked' }])
    expect(s.handle({ type: 'unchoke' }, 0)).toEqual([])
    expect(s.handle({ type: 'interested' }, 0)).toEqual([{ type: 'interested' }])
    expect(s.peerInterested).toBe(true)
    expect(s.handle({ type: 'not-interested' }, 0)).toEqual([{ type: 'not-interested' }])
    expect(s.handle({ type: 'choke' }, 0)).toEqual([{ type: 'choked' }])
    expect(s.peerChoking).toBe(true)
  })

  it('takes a valid bitfield as the first message and reports it', () => {
    const s = session()
    const [ev] = s.handle({ type: 'bitfield', bits: Uint8Array.from([0b1010_0000, 0b0100_0000]) }, 0)
    expect(ev?.type).toBe('bitfield')
    expect([...s.peerHas.indices()]).toEqual([0, 2, 9])
    expect(s.peerHas.count).toBe(3)
  })

  it('C33: a bitfield one byte short, one byte long, or with spare bits set disconnects', () => {
    violation(() => session().handle({ type: 'bitfield', bits: new Uint8Array(1) }, 0), 'bad-bitfield')
    violation(() => session().handle({ type: 'bitfield', bits: new Uint8Array(3) }, 0), 'bad-bitfield')
    violation(() => session().handle({ type: 'bitfield', bits: Uint8Array.from([0, 0b0010_0000]) }, 0), 'bad-bitfield')
  })

  it('a later bitfield (as aria2 sends) only adds pieces; it is still checked for size and spare bits (C33)', () => {
    const s = session({ extended: true })
    s.handle({ type: 'keep-alive' }, 0)
    s.handle({ type: 'extended', id: 0, payload: new Uint8Array(2) }, 0)
    s.handle({ type: 'port', port: 6881 }, 0)
    s.handle({ type: 'bitfield', bits: Uint8Array.of(0x80, 0x00) }, 0)
    const [ev] = s.handle({ type: 'bitfield', bits: Uint8Array.of(0x40, 0x00) }, 0)
    expect(ev?.type).toBe('bitfield')
    expect([...s.peerHas.indices()]).toEqual([0, 1])
    // The same pieces again change nothing and say nothing.
    expect(s.handle({ type: 'bitfield', bits: Uint8Array.of(0x40, 0x00) }, 0)).toEqual([])
    violation(() => s.handle({ type: 'bitfield', bits: new Uint8Array(3) }, 0), 'bad-bitfield')
    const t = session()
    t.handle({ type: 'have', index: 1 }, 0)
    violation(() => t.handle({ type: 'bitfield', bits: Uint8Array.of(0xff, 0xff) }, 0), 'bad-bitfield')
  })

  it('records have once, and C34: have index ≥ num_pieces disconnects', () => {
    const s = session()
    expect(s.handle({ type: 'have', index: 9 }, 0)).toEqual([{ type: 'have', index: 9 }])
    expect(s.handle({ type: 'have', index: 9 }, 0)).toEqual([])
    violation(() => s.handle({ type: 'have', index: 10 }, 0), 'invalid-have')
    violation(() => session().handle({ type: 'have', index: 0xffffffff }, 0), 'invalid-have')
  })

  it('have-all / have-none are reported as bitfield with fast, and disconnect without it', () => {
    const s = session({ fast: true })
    const [ev] = s.handle({ type: 'have-all' }, 0)
    expect(ev?.type === 'bitfield' && ev.bitfield.complete).toBe(true)
    expect(s.peerHas.complete).toBe(true)
    const n = session({ fast: true })
    const [ev2] = n.handle({ type: 'have-none' }, 0)
    expect(ev2?.type === 'bitfield' && ev2.bitfield.empty).toBe(true)
    violation(() => session().handle({ type: 'have-all' }, 0), 'fast-not-negotiated')
    violation(() => session().handle({ type: 'have-none' }, 0), 'fast-not-negotiated')
  })

  it('C40: a have-all flood costs nothing: after the first, repeats change nothing and produce no events', () => {
    const s = session({ fast: true })
    expect(s.handle({ type: 'have-all' }, 0)).toHaveLength(1)
    for (let i = 0; i < 10_000; i++) expect(s.handle({ type: 'have-all' }, 0)).toEqual([])
    expect(s.peerHas.complete).toBe(true)
  })

  it('every fast message disconnects when BEP 6 was not negotiated', () => {
    for (const m of [
      { type: 'suggest-piece', index: 0 }, { type: 'allowed-fast', index: 0 },
      { type: 'reject-request', index: 0, begin: 0, length: K16 }
    ] as Message[]) violation(() => session().handle(m, 0), 'fast-not-negotiated')
  })

  it('C31: an unknown message id (0xff) disconnects', () => {
    violation(() => session().handle({ type: 'unknown', id: 0xff, payload: new Uint8Array(0) }, 0), 'unknown-message')
  })

  it('after a violation the session is failed: later messages rethrow the same error', () => {
    const s = session()
    let first: unknown
    try { s.handle({ type: 'have', index: 99 }, 0) } catch (err) { first = err }
    expect(first).toBeInstanceOf(ProtocolError)
    expect(() => s.handle({ type: 'keep-alive' }, 1)).toThrow(first as Error)
  })

  it('extended messages pass through only when BEP 10 was negotiated', () => {
    const payload = Uint8Array.from([1, 2])
    expect(session({ extended: true }).handle({ type: 'extended', id: 3, payload }, 0)).toEqual([{ type: 'extended', id: 3, payload }])
    violation(() => session().handle({ type: 'extended', id: 0, payload }, 0), 'extended-not-negotiated')
  })

  it('C40: a keep-alive yields a keep-alive event and nothing else; port and suggest pass through', () => {
    const s = session({ fast: true })
    expect(s.handle({ type: 'keep-alive' }, 5)).toEqual([{ type: 'keep-alive' }])
    expect(s.lastMessageAt).toBe(5)
    expect(s.handle({ type: 'port', port: 6881 }, 0)).toEqual([{ type: 'port', port: 6881 }])
    expect(s.handle({ type: 'suggest-piece', index: 2 }, 0)).toEqual([{ type: 'suggest', index: 2 }])
    expect(s.handle({ type: 'suggest-piece', index: 99 }, 0)).toEqual([])
  })

  it('allowed-fast is recorded once per piece, out-of-range ones ignored', () => {
    const s = session({ fast: true })
    expect(s.handle({ type: 'allowed-fast', index: 4 }, 0)).toEqual([{ type: 'allowed-fast', index: 4 }])
    expect(s.handle({ type: 'allowed-fast', index: 4 }, 0)).toEqual([])
    expect(s.handle({ type: 'allowed-fast', index: 10 }, 0)).toEqual([])
    expect([...s.allowedFast]).toEqual([4])
  })
})

describe('PeerSession: blocks we receive', () => {
  it('a requested block is delivered and leaves outstanding', () => {
    const s = session()
    s.request([{ index: 1, begin: K16, length: K16 }], 100)
    expect([...s.outstanding.values()]).toEqual([{ ref: { index: 1, begin: K16, length: K16 }, sentAt: 100 }])
    const block = new Uint8Array(K16)
    expect(s.handle({ type: 'piece', index: 1, begin: K16, block }, 200)).toEqual([{ type: 'block', index: 1, begin: K16, block }])
    expect(s.outstanding.size).toBe(0)
  })

  it('C39: an unrequested but valid piece is an unwanted-block, never a block', () => {
    const s = session()
    expect(s.handle({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(K16) }, 0))
      .toEqual([{ type: 'unwanted-block', index: 0, begin: 0, length: K16 }])
  })

  it('C38: a piece larger than 16 KiB, outside the piece, or past the last piece disconnects', () => {
    violation(() => session().handle({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(K16 + 1) }, 0), 'invalid-piece')
    violation(() => session().handle({ type: 'piece', index: 0, begin: 2 * K16 - 10, block: new Uint8Array(20) }, 0), 'invalid-piece')
    violation(() => session().handle({ type: 'piece', index: 9, begin: 0, block: new Uint8Array(1001) }, 0), 'invalid-piece')
    violation(() => session().handle({ type: 'piece', index: 10, begin: 0, block: new Uint8Array(10) }, 0), 'invalid-piece')
  })

  it('request skips blocks already outstanding and refuses refs outside the torrent', () => {
    const s = session()
    const ref = { index: 2, begin: 0, length: K16 }
    expect(s.request([ref, ref], 0)).toEqual([{ type: 'request', ...ref }])
    expect(s.request([ref], 1)).toEqual([])
    expect(() => s.request([{ index: 10, begin: 0, length: 1 }], 0)).toThrow(RangeError)
  })

  it('cancel removes an outstanding request; a later piece for it is unwanted', () => {
    const s = session()
    const ref = { index: 2, begin: 0, length: K16 }
    s.request([ref], 0)
    expect(s.cancel(ref)).toEqual([{ type: 'cancel', ...ref }])
    expect(s.cancel(ref)).toEqual([])
    expect(s.handle({ type: 'piece', index: 2, begin: 0, block: new Uint8Array(K16) }, 0)[0]?.type).toBe('unwanted-block')
  })

  it('without fast, a choke drops every outstanding request (takeDropped)', () => {
    const s = session()
    s.handle({ type: 'unchoke' }, 0)
    const refs = [{ index: 0, begin: 0, length: K16 }, { index: 0, begin: K16, length: K16 }]
    s.request(refs, 0)
    expect(s.handle({ type: 'choke' }, 1)).toEqual([{ type: 'choked' }])
    expect(s.outstanding.size).toBe(0)
    expect(s.takeDropped()).toEqual(refs)
    expect(s.takeDropped()).toEqual([])
  })

  it('with fast, a choke keeps outstanding requests; only a reject drops one', () => {
    const s = session({ fast: true })
    s.handle({ type: 'unchoke' }, 0)
    const ref = { index: 0, begin: 0, length: K16 }
    s.request([ref, { index: 0, begin: K16, length: K16 }], 0)
    s.handle({ type: 'choke' }, 1)
    expect(s.outstanding.size).toBe(2)
    expect(s.takeDropped()).toEqual([])
    expect(s.handle({ type: 'reject-request', ...ref }, 2)).toEqual([{ type: 'rejected', ref }])
    expect(s.handle({ type: 'reject-request', ...ref }, 2)).toEqual([])
    expect(s.outstanding.size).toBe(1)
  })

  it('expire removes and returns requests at least timeoutMs old', () => {
    const s = session()
    const a = { index: 0, begin: 0, length: K16 }
    const b = { index: 1, begin: 0, length: K16 }
    s.request([a], 0)
    s.request([b], 500)
    expect(s.expire(999, 1000)).toEqual([])
    expect(s.expire(1000, 1000)).toEqual([a])
    expect([...s.outstanding.values()].map((o) => o.ref)).toEqual([b])
    expect(s.expire(5000, 1000)).toEqual([b])
  })
})

describe('PeerSession: requests the peer sends us', () => {
  function unchoked (opts: Partial<PeerSessionOptions> = {}): PeerSession {
    const s = session(opts)
    s.unchoke()
    return s
  }

  it('queues valid requests FIFO and serves them with takeRequest', () => {
    const s = unchoked()
    expect(s.handle(req(0, 0), 0)).toEqual([{ type: 'request', ref: { index: 0, begin: 0, length: K16 } }])
    s.handle(req(1, K16), 0)
    s.handle(req(1, K16), 0)
    expect(s.pendingRequests).toBe(2)
    expect(s.takeRequest()).toEqual({ index: 0, begin: 0, length: K16 })
    expect(s.takeRequest()).toEqual({ index: 1, begin: K16, length: K16 })
    expect(s.takeRequest()).toBeUndefined()
  })

  it('a cancel removes a queued request (and with fast answers it with a reject)', () => {
    const s = unchoked({ fast: true })
    s.handle(req(0, 0), 0)
    s.handle(req(0, K16), 0)
    expect(s.handle({ type: 'cancel', index: 0, begin: 0, length: K16 }, 0)).toEqual([{ type: 'cancel', ref: { index: 0, begin: 0, length: K16 } }])
    expect(s.pendingRequests).toBe(1)
    expect(s.drainOutgoing()).toEqual([{ type: 'reject-request', index: 0, begin: 0, length: K16 }])
    expect(s.handle({ type: 'cancel', index: 5, begin: 0, length: K16 }, 0)).toEqual([])
    expect(s.takeRequest()).toEqual({ index: 0, begin: K16, length: K16 })
  })

  it('requests of different lengths at one offset are two requests; a cancel names one by its length', () => {
    const s = unchoked({ fast: true })
    s.handle(req(1, 0), 0)
    s.handle(req(1, 0, 8192), 0)
    s.handle(req(1, 0, 8192), 0) // a duplicate
    expect(s.pendingRequests).toBe(2)
    expect(s.handle({ type: 'cancel', index: 1, begin: 0, length: 4096 }, 0)).toEqual([])
    expect(s.handle({ type: 'cancel', index: 1, begin: 0, length: K16 }, 0)).toEqual([{ type: 'cancel', ref: { index: 1, begin: 0, length: K16 } }])
    expect(s.takeRequest()).toEqual({ index: 1, begin: 0, length: 8192 })
    expect(s.takeRequest()).toBeUndefined()
    // A block number past 2^30 (1 GiB pieces, piece 16400): queued, served and cancelled all the same.
    const big = geometryOf({ length: 16401 * 2 ** 30, pieceLength: 2 ** 30 })
    const b = new PeerSession({ geometry: big, fast: true, extended: false, ourHave: Bitfield.full(big.pieceCount) })
    b.unchoke()
    b.handle(req(16400, 2 ** 30 - K16), 0)
    b.handle(req(16400, 2 ** 30 - K16), 0)
    b.handle(req(16399, 3 * K16), 0)
    b.handle(req(16399, 4 * K16), 0)
    expect(b.pendingRequests).toBe(3)
    expect(b.handle({ type: 'cancel', index: 16399, begin: 3 * K16, length: K16 }, 0)).toHaveLength(1)
    expect(b.takeRequest()).toEqual({ index: 16400, begin: 2 ** 30 - K16, length: K16 })
    b.drainOutgoing()
    expect(b.choke()).toEqual([{ type: 'choke' }, { type: 'reject-request', index: 16399, begin: 4 * K16, length: K16 }])
    expect(b.pendingRequests).toBe(0)
  })

  it('the short last block of the torrent queues and is served like any other', () => {
    const s = unchoked()
    s.handle(req(9, 0, 1000), 0)
    s.handle(req(8, K16), 0)
    expect(s.takeRequest()).toEqual({ index: 9, begin: 0, length: 1000 })
    expect(s.takeRequest()).toEqual({ index: 8, begin: K16, length: K16 })
  })

  const invalid: Array<[string, Message]> = [
    ['begin + len past the piece end', req(0, 2 * K16 - 100, 200)],
    ['len 0', req(0, 0, 0)],
    ['len > 16 KiB', req(0, 0, K16 + 1)],
    ['piece past the last', req(10, 0)],
    ['past the short last piece', req(9, 0, 1001)]
  ]
  for (const [what, m] of invalid) {
    it(`C35: a request with ${what} is rejected with fast, ignored without; never an event`, () => {
      const f = unchoked({ fast: true })
      expect(f.handle(m, 0)).toEqual([])
      expect(f.pendingRequests).toBe(0)
      expect(f.drainOutgoing()).toEqual([{ ...m, type: 'reject-request' }])
      const p = unchoked()
      expect(p.handle(m, 0)).toEqual([])
      expect(p.pendingRequests).toBe(0)
      expect(p.drainOutgoing()).toEqual([])
    })
  }

  it('C35: a request for a piece we lack is rejected (fast) or ignored, read live from ourHave', () => {
    const ourHave = new Bitfield(10)
    const f = unchoked({ fast: true, ourHave })
    expect(f.handle(req(3, 0), 0)).toEqual([])
    expect(f.drainOutgoing()).toEqual([{ type: 'reject-request', index: 3, begin: 0, length: K16 }])
    ourHave.set(3)
    expect(f.handle(req(3, 0), 0)).toHaveLength(1)
    const p = unchoked({ ourHave: new Bitfield(10) })
    expect(p.handle(req(3, 0), 0)).toEqual([])
    expect(p.drainOutgoing()).toEqual([])
  })

  it('C36: 5000 requests flood: the queue stays at maxIncomingRequests; with fast the excess is rejected', () => {
    const f = unchoked({ fast: true, maxIncomingRequests: 100 })
    let rejects = 0
    for (let i = 0; i < 5000; i++) {
      f.handle(req(i % 10, 0, 1 + Math.floor(i / 10)), 0)
      rejects += f.drainOutgoing().length
    }
    expect(f.pendingRequests).toBe(100)
    expect(rejects).toBe(4900)
  })

  it('C36: 5000 requests flood without fast: the excess is dropped, memory bounded', () => {
    const p = unchoked()
    for (let i = 0; i < 5000; i++) p.handle(req(i % 10, 0, 1 + Math.floor(i / 10)), 0)
    expect(p.pendingRequests).toBe(2000)
    expect(p.drainOutgoing()).toEqual([])
  })

  it('undrained rejects are bounded too: past maxIncomingRequests the peer is disconnected', () => {
    const f = unchoked({ fast: true, maxIncomingRequests: 10 })
    for (let i = 0; i < 10; i++) f.handle(req(10, 0), 0)
    violation(() => f.handle(req(10, 0), 0), 'reject-flood')
  })

  it('C37: more than 300 requests while choked disconnects; the count restarts on unchoke', () => {
    const s = session()
    for (let i = 0; i < 300; i++) expect(s.handle(req(0, 0), 0)).toEqual([])
    expect(s.pendingRequests).toBe(0)
    violation(() => s.handle(req(0, 0), 0), 'too-many-requests-when-choked')
    const t = session({ fast: true })
    for (let i = 0; i < 300; i++) t.handle(req(0, 0), 0)
    expect(t.drainOutgoing()).toHaveLength(300)
    t.unchoke()
    t.choke()
    for (let i = 0; i < 300; i++) t.handle(req(0, 0), 0)
    violation(() => t.handle(req(0, 0), 0), 'too-many-requests-when-choked')
  })

  it('choke with fast rejects every queued request after the choke message', () => {
    const s = unchoked({ fast: true })
    s.handle(req(0, 0), 0)
    s.handle(req(1, 0), 0)
    expect(s.choke()).toEqual([
      { type: 'choke' },
      { type: 'reject-request', index: 0, begin: 0, length: K16 },
      { type: 'reject-request', index: 1, begin: 0, length: K16 }
    ])
    expect(s.pendingRequests).toBe(0)
    expect(s.choke()).toEqual([])
  })

  it('choke without fast silently drops queued requests', () => {
    const s = unchoked()
    s.handle(req(0, 0), 0)
    expect(s.choke()).toEqual([{ type: 'choke' }])
    expect(s.pendingRequests).toBe(0)
    expect(s.takeRequest()).toBeUndefined()
  })
})

describe('PeerSession: our commands', () => {
  it('interest and choke commands are idempotent', () => {
    const s = session()
    expect(s.interested()).toEqual([{ type: 'interested' }])
    expect(s.interested()).toEqual([])
    expect(s.notInterested()).toEqual([{ type: 'not-interested' }])
    expect(s.unchoke()).toEqual([{ type: 'unchoke' }])
    expect(s.unchoke()).toEqual([])
    expect(s.have(3)).toEqual([{ type: 'have', index: 3 }])
  })

  it('announce: have-all / have-none / bitfield with fast; bitfield or nothing without', () => {
    const some = new Bitfield(10)
    some.set(0)
    expect(session({ fast: true }).announce(Bitfield.full(10))).toEqual([{ type: 'have-all' }])
    expect(session({ fast: true }).announce(new Bitfield(10))).toEqual([{ type: 'have-none' }])
    expect(session({ fast: true }).announce(some)).toEqual([{ type: 'bitfield', bits: Uint8Array.from([0x80, 0]) }])
    expect(session().announce(new Bitfield(10))).toEqual([])
    const [m] = session().announce(some)
    some.set(1)
    expect(m).toEqual({ type: 'bitfield', bits: Uint8Array.from([0x80, 0]) })
  })

  it('BEP 6: requests for pieces in our allowed-fast set are queued while we choke; others are rejected', () => {
    const s = session({ fast: true })
    expect(s.allowFast([3, 3, 99])).toEqual([{ type: 'allowed-fast', index: 3 }])
    expect(s.amChoking).toBe(true)
    const ok = s.handle({ type: 'request', index: 3, begin: 0, length: K16 }, 0)
    expect(ok.map((e) => e.type)).toEqual(['request'])
    expect(s.handle({ type: 'request', index: 4, begin: 0, length: K16 }, 0)).toEqual([])
    expect(s.drainOutgoing()).toEqual([{ type: 'reject-request', index: 4, begin: 0, length: K16 }])
    expect(session().allowFast([1])).toEqual([])
  })
})
