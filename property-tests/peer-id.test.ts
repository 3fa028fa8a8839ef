import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { generatePeerId } from '../lib/peer-id/generate-peer-id.js'
import { parsePeerId } from '../lib/peer-id/parse-peer-id.js'

const STYLES = ['azureus', 'shadow', 'mainline', 'unknown']

function ascii (s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)
}

describe('peer id properties', () => {
  it('parsePeerId is total on arbitrary 20-byte input', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (id) => {
      const info = parsePeerId(id)
      expect(STYLES).toContain(info.style)
      expect(typeof info.client).toBe('string')
    }))
  })

  it('parsePeerId is total on ids shaped like each style', () => {
    const printable = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 8 })
    const shaped = fc.oneof(
      fc.tuple(fc.string({ unit: 'binary-ascii', minLength: 6, maxLength: 6 })).map(([s]) => `-${s}-`),
      fc.tuple(printable).map(([s]) => `A2-${s}`),
      fc.tuple(fc.constantFrom('S', 'T', 'A', 'M', 'Q', 'exbc'), printable).map(([a, b]) => `${a}${b}--`)
    )
    fc.assert(fc.property(shaped, fc.uint8Array({ maxLength: 20 }), (prefix, tail) => {
      const id = new Uint8Array(20)
      id.set(tail)
      id.set(ascii(prefix).subarray(0, 20))
      const info = parsePeerId(id)
      expect(STYLES).toContain(info.style)
      if (info.version !== undefined) expect(info.version.length).toBeGreaterThan(0)
    }))
  })

  it('generatePeerId output is 20 printable bytes and parses back as rxtorrent', () => {
    const version = fc.stringMatching(/^[0-9A-Za-z]{4}$/)
    fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), version, (random, v) => {
      const id = generatePeerId(random, v)
      expect(id.length).toBe(20)
      for (const b of id) expect(b >= 0x21 && b <= 0x7e).toBe(true)
      const info = parsePeerId(id)
      expect(info.client).toBe('rxtorrent')
      expect(info.version).toBe(Array.from(v, (c) => parseInt(c, 36)).join('.'))
    }))
  })
})
