import { describe, it, expect } from 'vitest'
import { generatePeerId } from '../../../lib/peer-id/generate-peer-id.js'
import { parsePeerId } from '../../../lib/peer-id/parse-peer-id.js'
import { UsageError } from '../../../lib/errors.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

describe('generatePeerId', () => {
  it('builds -RX0100- plus 12 printable characters derived from the random bytes', () => {
    const random = Uint8Array.from([0, 1, 9, 10, 35, 36, 61, 62, 63, 64, 255, 128])
    const id = generatePeerId(random)
    expect(id.length).toBe(20)
    expect(text(id)).toBe('-RX0100-019AZaz._0_0')
  })

  it('is deterministic in its input and takes a version', () => {
    const random = new Uint8Array(12).fill(7)
    expect(generatePeerId(random, '0203')).toEqual(generatePeerId(random, '0203'))
    expect(text(generatePeerId(random, '0203')).slice(0, 8)).toBe('-RX0203-')
  })

  it('every byte of the suffix is printable ASCII for every input byte', () => {
    for (let b = 0; b < 256; b += 12) {
      const id = generatePeerId(Uint8Array.from({ length: 12 }, (_, i) => (b + i) & 0xff))
      for (const c of id.subarray(8)) expect(c >= 0x21 && c <= 0x7e).toBe(true)
    }
  })

  it('is recognised by parsePeerId', () => {
    expect(parsePeerId(generatePeerId(new Uint8Array(12)))).toEqual({ client: 'rxtorrent', version: '0.1.0.0', style: 'azureus', code: 'RX' })
  })

  it('rejects a wrong random length or version with UsageError', () => {
    expect(() => generatePeerId(new Uint8Array(11))).toThrow(UsageError)
    expect(() => generatePeerId(new Uint8Array(12), '01')).toThrow(UsageError)
    expect(() => generatePeerId(new Uint8Array(12), '01-0')).toThrow(UsageError)
  })
})
