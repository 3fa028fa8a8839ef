import { describe, it, expect } from 'vitest'
import { formatMagnet } from '../../../lib/magnet/format-magnet.js'
import { parseMagnet } from '../../../lib/magnet/parse-magnet.js'
import { MagnetError } from '../../../lib/errors.js'
import type { Magnet } from '../../../lib/magnet/types.js'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const infoHash = Uint8Array.from(Buffer.from(HEX, 'hex'))

describe('formatMagnet', () => {
  it('writes a canonical URI in a fixed order', () => {
    const m: Magnet = {
      infoHash,
      infoHashHex: HEX,
      name: 'a b+c&d=é',
      trackers: ['udp://t.example:80/announce', 'http://x/?a=1&b=2'],
      webSeeds: ['https://s.example/f'],
      peers: [{ host: '1.2.3.4', port: 5 }, { host: '::1', port: 6 }],
      selectOnly: [0, 2, 4, 5, 6],
      exactLength: 42,
      keywords: ['one', 'two']
    }
    const uri = formatMagnet(m)
    expect(uri).toBe(`magnet:?xt=urn:btih:${HEX}&dn=a%20b%2Bc%26d%3D%C3%A9&xl=42` +
      '&tr=udp://t.example:80/announce&tr=http://x/?a%3D1%26b%3D2&ws=https://s.example/f' +
      '&x.pe=1.2.3.4:5&x.pe=%5B::1%5D:6&so=0,2,4-6&kt=one+two')
    expect(parseMagnet(uri)).toEqual(m)
  })

  it('lower-cases the hex and keeps a v2 hash', () => {
    const v2 = new Uint8Array(32).fill(0xab)
    const uri = formatMagnet({ infoHash, infoHashHex: HEX.toUpperCase(), infoHashV2: v2, trackers: [], webSeeds: [], peers: [] })
    expect(uri).toBe(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${'ab'.repeat(32)}`)
    expect(parseMagnet(uri).infoHashV2).toEqual(v2)
  })

  it('encodes a lone surrogate as U+FFFD instead of throwing', () => {
    const uri = formatMagnet({ infoHash, infoHashHex: HEX, name: 'x\ud800', trackers: [], webSeeds: [], peers: [] })
    expect(parseMagnet(uri).name).toBe('x\ufffd')
  })

  it('refuses an info-hash that is not 20 bytes', () => {
    expect(() => formatMagnet({ infoHash: new Uint8Array(19), infoHashHex: '', trackers: [], webSeeds: [], peers: [] })).toThrow(MagnetError)
  })
})
