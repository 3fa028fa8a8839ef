import { describe, it, expect } from 'vitest'
import { MetadataAssembler } from '../../../lib/extensions/metadata-assembler.js'
import { decodeMetadataMessage, encodeMetadataMessage } from '../../../lib/extensions/ut-metadata.js'
import { parseInfoDict } from '../../../lib/metainfo/parse-info-dict.js'
import { ProtocolError } from '../../../lib/errors.js'
import { encode } from '../../../lib/bencode/index.js'
import { infoDict, sha1 } from './helpers.js'

const P = 16384
const piece = (bytes: Uint8Array, i: number): Uint8Array => bytes.subarray(i * P, Math.min(bytes.length, (i + 1) * P))
const failure = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    const p = e as ProtocolError
    return [p.code, p.disposition]
  }
  throw new Error('expected a ProtocolError')
}

describe('MetadataAssembler', () => {
  const info = infoDict(2000)
  const infoHash = sha1(info)

  it('assembles a real info dict split into 3 pieces, out of order, from two peers', () => {
    expect(info.length).toBeGreaterThan(2 * P)
    expect(info.length).toBeLessThan(3 * P)
    const a = new MetadataAssembler({ infoHash, size: info.length, sha1 })
    expect(a.pieceCount).toBe(3)
    expect(a.nextRequest('alice')).toBe(0)
    expect(a.nextRequest('bob')).toBe(1)
    expect(a.nextRequest('bob')).toBe(2)
    expect(a.nextRequest('alice')).toBeUndefined()
    // Every piece travels through the wire codec, as it would from a peer.
    const wire = (i: number) => {
      const m = decodeMetadataMessage(encodeMetadataMessage({ msgType: 'data', piece: i, totalSize: info.length, data: piece(info, i) }))
      if (m.msgType !== 'data') throw new Error('not data')
      return m
    }
    const m2 = wire(2)
    expect(a.receive('bob', m2.piece, m2.totalSize, m2.data)).toBe('more')
    expect(a.progress).toBeCloseTo(1 / 3)
    expect(a.receive('alice', 0, info.length, wire(0).data)).toBe('more')
    const result = a.receive('bob', 1, info.length, wire(1).data)
    expect(result).not.toBe('more')
    if (typeof result === 'string' || !('done' in result)) throw new Error('not done')
    expect(result.done).toEqual(info)
    expect(a.progress).toBe(1)
    const torrent = parseInfoDict(result.done, sha1)
    expect(torrent.infoHash).toEqual(infoHash)
    expect(torrent.pieceCount).toBe(2000)
  })

  it('copies the piece bytes, so the wire buffer may be reused', () => {
    const small = infoDict(1)
    const a = new MetadataAssembler({ infoHash: sha1(small), size: small.length, sha1 })
    const wire = small.slice()
    const result = a.receive('p', 0, small.length, wire)
    wire.fill(0)
    expect(result).toEqual({ done: small })
  })

  it('re-requests a released piece from another peer', () => {
    const a = new MetadataAssembler({ infoHash, size: info.length, sha1 })
    expect(a.nextRequest('alice')).toBe(0)
    expect(a.nextRequest('alice')).toBe(1)
    a.release('alice', 1)
    expect(a.nextRequest('bob')).toBe(1)
    a.release('alice')
    expect(a.nextRequest('bob')).toBe(0)
    a.release('carol', 2) // not requested from carol: no effect
    expect(a.nextRequest('bob')).toBe(2)
    expect(a.nextRequest('bob')).toBeUndefined()
  })

  it('ignores a piece it already has', () => {
    const a = new MetadataAssembler({ infoHash, size: info.length, sha1 })
    expect(a.receive('alice', 0, info.length, piece(info, 0))).toBe('more')
    expect(a.receive('bob', 0, info.length, new Uint8Array(P))).toBe('more')
    expect(a.progress).toBeCloseTo(1 / 3)
    expect(a.nextRequest('bob')).toBe(1)
  })

  it('D45: metadata whose SHA-1 is not the info-hash is discarded, its source peers reported, and assembly starts over', () => {
    const a = new MetadataAssembler({ infoHash, size: info.length, sha1 })
    const forged = info.slice()
    forged[20000] = (forged[20000] ?? 0) ^ 1
    a.nextRequest('alice')
    a.nextRequest('mallory')
    expect(a.receive('alice', 0, info.length, piece(forged, 0))).toBe('more')
    expect(a.receive('mallory', 1, info.length, piece(forged, 1))).toBe('more')
    const result = a.receive('alice', 2, info.length, piece(forged, 2))
    expect(result).toEqual({ failed: ['alice', 'mallory'] })
    expect(a.progress).toBe(0)
    expect(a.nextRequest('carol')).toBe(0)
    a.receive('carol', 0, info.length, piece(info, 0))
    a.receive('carol', 1, info.length, piece(info, 1))
    expect(a.receive('carol', 2, info.length, piece(info, 2))).toEqual({ done: info })
  })

  it('D44: total_size changing between pieces, a piece out of range or of the wrong length is refused', () => {
    const a = new MetadataAssembler({ infoHash, size: info.length, sha1 })
    expect(failure(() => a.receive('m', 0, info.length + 1, piece(info, 0)))).toEqual(['metadata-size-changed', 'disconnect'])
    expect(failure(() => a.receive('m', 3, info.length, new Uint8Array(0)))).toEqual(['metadata-piece-out-of-range', 'disconnect'])
    expect(failure(() => a.receive('m', -1, info.length, new Uint8Array(P)))).toEqual(['metadata-piece-out-of-range', 'disconnect'])
    expect(failure(() => a.receive('m', 0, info.length, new Uint8Array(P + 1)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(failure(() => a.receive('m', 2, info.length, new Uint8Array(P)))).toEqual(['bad-metadata-length', 'disconnect'])
    expect(a.progress).toBe(0)
  })

  it('D43: a size of 2^31, 10 GB, negative or zero is refused before allocating', () => {
    for (const size of [2 ** 31, 10e9, -1, 0, 1.5, Number.NaN]) {
      expect(failure(() => new MetadataAssembler({ infoHash, size, sha1 }))).toEqual(['bad-metadata-size', 'ignore'])
    }
    expect(failure(() => new MetadataAssembler({ infoHash, size: 2000, sha1, maxSize: 1000 }))).toEqual(['bad-metadata-size', 'ignore'])
  })

  it('D46: metadata that hashes correctly but is hostile goes through the .torrent limits', () => {
    const hostile = encode({ length: 1, name: 'x', 'piece length': 16384, pieces: new Uint8Array(20), junk: Array.from({ length: 3000 }, (_, i) => i) })
    const a = new MetadataAssembler({ infoHash: sha1(hostile), size: hostile.length, sha1 })
    let result: ReturnType<MetadataAssembler['receive']> = 'more'
    for (let i = 0; i < a.pieceCount; i++) result = a.receive('p', i, hostile.length, piece(hostile, i))
    if (typeof result === 'string' || !('done' in result)) throw new Error('not done')
    const done = result.done
    expect(() => parseInfoDict(done, sha1, { maxBencodeTokens: 1000 })).toThrow(expect.objectContaining({ code: 'token-limit' }))
    const tooManyPieces = encode({ length: 3 * 16384, name: 'x', 'piece length': 16384, pieces: new Uint8Array(60) })
    expect(() => parseInfoDict(tooManyPieces, sha1, { maxPieces: 2 })).toThrow()
  })

  it('27: a path traversal arriving through magnet metadata is sanitised like a .torrent', () => {
    const evil = encode({
      files: [{ length: 1, path: ['..', '..', 'etc', 'passwd'] }],
      name: '../../evil',
      'piece length': 16384,
      pieces: new Uint8Array(20)
    })
    const a = new MetadataAssembler({ infoHash: sha1(evil), size: evil.length, sha1 })
    const result = a.receive('p', 0, evil.length, evil)
    if (typeof result === 'string' || !('done' in result)) throw new Error('not done')
    const torrent = parseInfoDict(result.done, sha1)
    for (const f of torrent.files) {
      expect(f.path).not.toContain('..')
      expect(f.path.join('/')).not.toMatch(/(^|\/)\.\.(\/|$)/)
    }
    expect(torrent.name).not.toMatch(/\.\.\//)
  })
})
