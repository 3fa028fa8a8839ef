import { describe, it, expect } from 'vitest'
import { parsePeerId } from '../../../lib/peer-id/parse-peer-id.js'

function id (prefix: string): Uint8Array {
  const out = new Uint8Array(20).fill(0x9c) // non-printable filler, like random bytes
  for (let i = 0; i < prefix.length; i++) out[i] = prefix.charCodeAt(i)
  return out
}

describe('parsePeerId', () => {
  const cases: Array<[string, string, string | undefined, string]> = [
    ['-RX0100-', 'rxtorrent', '0.1.0.0', 'azureus'],
    ['-LT2080-', 'libtorrent (Rasterbar)', '2.0.8.0', 'azureus'],
    ['-LT1C30-', 'libtorrent (Rasterbar)', '1.12.3.0', 'azureus'],
    ['-lt0D60-', 'libTorrent (rakshasa)', '0.13.6.0', 'azureus'],
    ['-TR3000-', 'Transmission', '3.00', 'azureus'],
    ['-TR2940-', 'Transmission', '2.94', 'azureus'],
    ['-TR300Z-', 'Transmission', '3.00+', 'azureus'],
    ['-TR0072-', 'Transmission', '0.72', 'azureus'],
    ['-TR0006-', 'Transmission', '0.6', 'azureus'],
    ['-TR4050-', 'Transmission', '4.0.5', 'azureus'],
    ['-TR410Z-', 'Transmission', '4.1.0-dev', 'azureus'],
    ['-qB4500-', 'qBittorrent', '4.5.0', 'azureus'],
    ['-UT3550-', 'µTorrent', '3.5.5', 'azureus'],
    ['-UT355B-', 'µTorrent', '3.5.5B', 'azureus'],
    ['-UM1870-', 'µTorrent Mac', '1.8.7', 'azureus'],
    ['-DE13F0-', 'Deluge', '1.3.15', 'azureus'],
    ['-AZ5760-', 'Vuze (Azureus)', '5.7.6.0', 'azureus'],
    ['-BC0150-', 'BitComet', '1.50', 'azureus'],
    ['-WW0102-', 'WebTorrent', '1.2', 'azureus'],
    ['-BT7A10-', 'BitTorrent', '7.10.1', 'azureus'],
    ['-KT4130-', 'KTorrent', '4.1.3', 'azureus'],
    ['-FD6000-', 'Free Download Manager', '6.0.0.0', 'azureus'],
    ['-BI3600-', 'BiglyBT', '3.6.0.0', 'azureus'],
    ['-SD0100-', 'Thunder (Xunlei)', '0.1.0.0', 'azureus'],
    ['-XL0012-', 'Xunlei', '0.0.1.2', 'azureus'],
    ['-TT2100-', 'TuoTu', '2.1.0.0', 'azureus'],
    ['-RT1000-', 'Retriever', '1.0.0.0', 'azureus'],
    ['A2-1-36-0-', 'aria2', '1.36.0', 'azureus'],
    ['S58B-----', 'Shad0w', '5.8.11', 'shadow'],
    ['T03I--', 'BitTornado', '0.3.18', 'shadow'],
    ['A310--', 'ABC', '3.1.0', 'shadow'],
    ['M4-4-0--', 'BitTorrent (mainline)', '4.4.0', 'mainline'],
    ['M7-10-3-', 'BitTorrent (mainline)', '7.10.3', 'mainline']
  ]
  for (const [prefix, client, version, style] of cases) {
    it(`${prefix} → ${client} ${version ?? ''}`, () => {
      const info = parsePeerId(id(prefix))
      expect(info.client).toBe(client)
      expect(info.version).toBe(version)
      expect(info.style).toBe(style)
    })
  }

  it('an unknown Azureus code keeps its code and a default version', () => {
    expect(parsePeerId(id('-ZZ1234-'))).toEqual({ client: 'unknown', version: '1.2.3.4', style: 'azureus', code: 'ZZ' })
  })

  it('a non-alphanumeric Azureus version gives no version, not an error', () => {
    expect(parsePeerId(id('-LT2.!0-'))).toEqual({ client: 'libtorrent (Rasterbar)', style: 'azureus', code: 'LT' })
  })

  it('all zeros, all 0xff, empty and short ids are unknown', () => {
    expect(parsePeerId(new Uint8Array(20))).toEqual({ client: 'unknown', style: 'unknown' })
    expect(parsePeerId(new Uint8Array(20).fill(0xff))).toEqual({ client: 'unknown', style: 'unknown' })
    expect(parsePeerId(new Uint8Array(0))).toEqual({ client: 'unknown', style: 'unknown' })
    expect(parsePeerId(id('-L').subarray(0, 2))).toEqual({ client: 'unknown', style: 'unknown' })
  })

  it('old BitComet exbc ids', () => {
    const b = id('exbc')
    b[4] = 0; b[5] = 59
    expect(parsePeerId(b)).toMatchObject({ client: 'BitComet', version: '0.59' })
  })
})
