import { describe, it, expect } from 'vitest'
import { decodePex, encodePex, pexAddressKey, PEX_FLAGS } from '../../../lib/extensions/ut-pex.js'
import { ProtocolError } from '../../../lib/errors.js'

/** Bytes of a string of char codes 0..255 (so binary compact lists can be written inline). */
const raw = (s: string): Uint8Array => Uint8Array.from(s, c => c.charCodeAt(0))
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b)
const str = (s: string): string => `${s.length}:${s}`
/** An IPv4 compact entry a.b.c.d:port. */
const v4 = (a: number, b: number, c: number, d: number, port: number): string => String.fromCharCode(a, b, c, d, port >> 8, port & 0xff)

const failure = (f: () => unknown): [string, string] => {
  try { f() } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError)
    const p = e as ProtocolError
    return [p.code, p.disposition]
  }
  throw new Error('expected a ProtocolError')
}

describe('ut_pex codec: BEP 11 vectors', () => {
  it('decodes added with flags and dropped from a hand-built payload', () => {
    const payload = raw(`d5:added${str(v4(1, 2, 3, 4, 6881) + v4(10, 0, 0, 1, 51413))}7:added.f${str('\x12\x01')}7:dropped${str(v4(5, 6, 7, 8, 80))}e`)
    expect(decodePex(payload)).toEqual({
      added: [
        { host: '1.2.3.4', port: 6881, flags: PEX_FLAGS.SEED | PEX_FLAGS.REACHABLE },
        { host: '10.0.0.1', port: 51413, flags: PEX_FLAGS.ENCRYPTION }
      ],
      dropped: [{ host: '5.6.7.8', port: 80 }]
    })
  })

  it('encodes all six keys in canonical order', () => {
    const out = encodePex({ added: [{ host: '1.2.3.4', port: 6881, flags: 0x12 }], dropped: [{ host: '5.6.7.8', port: 80 }] })
    expect(latin1(out)).toBe(`d5:added${str(v4(1, 2, 3, 4, 6881))}7:added.f${str('\x12')}6:added60:8:added6.f0:7:dropped${str(v4(5, 6, 7, 8, 80))}8:dropped60:e`)
  })

  it('IPv6 lists: added6 with added6.f and dropped6', () => {
    const m = { added: [{ host: '2001:db8::1', port: 6881, flags: PEX_FLAGS.UTP }], dropped: [{ host: 'fe80::2', port: 1 }] }
    const out = encodePex(m)
    const text = latin1(out)
    expect(text).toContain('6:added618:\x20\x01\x0d\xb8' + '\x00'.repeat(11) + '\x01\x1a\xe1')
    expect(text).toContain('8:added6.f1:\x04')
    expect(decodePex(out)).toEqual(m)
  })

  it('accepts unsorted dictionaries and ignores unknown or mistyped keys', () => {
    const payload = raw(`d7:added.f${str('\x02')}5:added${str(v4(1, 1, 1, 1, 1))}1:xi3e7:droppedi5e8:dropped6le8:added6.fi1ee`)
    expect(decodePex(payload)).toEqual({ added: [{ host: '1.1.1.1', port: 1, flags: 2 }], dropped: [] })
  })

  it('added.f shorter than added: the uncovered peers get flags 0; extra flag bytes are ignored', () => {
    const short = raw(`d5:added${str(v4(1, 1, 1, 1, 1) + v4(2, 2, 2, 2, 2) + v4(3, 3, 3, 3, 3))}7:added.f${str('\x01')}e`)
    expect(decodePex(short).added.map(p => p.flags)).toEqual([1, 0, 0])
    const none = raw(`d5:added${str(v4(1, 1, 1, 1, 1))}e`)
    expect(decodePex(none).added).toEqual([{ host: '1.1.1.1', port: 1, flags: 0 }])
    const long = raw(`d5:added${str(v4(1, 1, 1, 1, 1))}7:added.f${str('\x04\x08\x10')}e`)
    expect(decodePex(long).added).toEqual([{ host: '1.1.1.1', port: 1, flags: 4 }])
  })

  it('odd-length compact lists keep whole entries only and ignore the tail', () => {
    const added = raw(`d5:added${str(v4(1, 1, 1, 1, 1) + '\x09\x09\x09')}7:dropped${str(v4(2, 2, 2, 2, 2) + '\x07')}8:dropped6${str('\x00'.repeat(17))}e`)
    expect(decodePex(added)).toEqual({ added: [{ host: '1.1.1.1', port: 1, flags: 0 }], dropped: [{ host: '2.2.2.2', port: 2 }] })
  })

  it('drops port-0 entries while keeping each later peer aligned with its own flag byte', () => {
    const payload = raw(`d5:added${str(v4(1, 1, 1, 1, 0) + v4(2, 2, 2, 2, 2))}7:added.f${str('\x01\x02')}e`)
    expect(decodePex(payload).added).toEqual([{ host: '2.2.2.2', port: 2, flags: 2 }])
  })

  it('encoding skips hosts that are not IP addresses and invalid ports; IPv4-mapped IPv6 goes in added', () => {
    const out = encodePex({
      added: [{ host: 'example.com', port: 1, flags: 1 }, { host: '1.2.3.4', port: 0, flags: 1 }, { host: '::ffff:9.9.9.9', port: 9, flags: 3 }],
      dropped: [{ host: 'nope', port: 5 }]
    })
    expect(decodePex(out)).toEqual({ added: [{ host: '9.9.9.9', port: 9, flags: 3 }], dropped: [] })
  })
})

describe('ut_pex codec: hostile input (ADVERSARIAL D47)', () => {
  it('D47: a PEX message over 500 KiB is a ProtocolError that disconnects', () => {
    const big = raw(`d5:added${str('\x01'.repeat(500 * 1024))}e`)
    expect(big.length).toBeGreaterThan(500 * 1024)
    expect(failure(() => decodePex(big))).toEqual(['pex-too-long', 'disconnect'])
    expect(failure(() => decodePex(new Uint8Array(101), { maxBytes: 100 }))).toEqual(['pex-too-long', 'disconnect'])
  })

  it('D47: more than 50 added peers are truncated to 50 per list', () => {
    let list = ''
    let list6 = ''
    for (let i = 0; i < 120; i++) list += v4(10, 0, i, 1, 1000 + i)
    for (let i = 0; i < 70; i++) list6 += '\x20\x01' + '\x00'.repeat(13) + String.fromCharCode(i + 1) + '\x00\x50'
    const m = decodePex(raw(`d5:added${str(list)}6:added6${str(list6)}7:dropped${str(list)}e`))
    expect(m.added.filter(p => !p.host.includes(':'))).toHaveLength(50)
    expect(m.added.filter(p => p.host.includes(':'))).toHaveLength(50)
    expect(m.added[49]).toEqual({ host: '10.0.49.1', port: 1049, flags: 0 })
    expect(m.dropped).toHaveLength(50)
    expect(decodePex(raw(`d5:added${str(list)}e`), { maxPeers: 3 }).added).toHaveLength(3)
  })

  it('not bencode, not a dictionary, or trailing bytes: ProtocolError bad-pex', () => {
    expect(failure(() => decodePex(raw('d5:added')))).toEqual(['bad-pex', 'disconnect'])
    expect(failure(() => decodePex(raw('le')))).toEqual(['bad-pex', 'disconnect'])
    expect(failure(() => decodePex(raw('dexx')))).toEqual(['bad-pex', 'disconnect'])
    expect(failure(() => decodePex(new Uint8Array(0)))).toEqual(['bad-pex', 'disconnect'])
  })

  it('deep nesting is refused by the bencode depth limit, not the stack', () => {
    expect(failure(() => decodePex(raw('d1:x' + 'l'.repeat(10_000) + 'e'.repeat(10_000) + 'e')))).toEqual(['bad-pex', 'disconnect'])
  })
})

describe('pexAddressKey', () => {
  it('is the same for IPv4 and IPv4-mapped IPv6 and for IPv6 spellings; undefined for unusable addresses', () => {
    expect(pexAddressKey({ host: '1.2.3.4', port: 5 })).toBe(pexAddressKey({ host: '::ffff:1.2.3.4', port: 5 }))
    expect(pexAddressKey({ host: '2001:db8:0::1', port: 5 })).toBe(pexAddressKey({ host: '2001:DB8::1', port: 5 }))
    expect(pexAddressKey({ host: '1.2.3.4', port: 0 })).toBeUndefined()
    expect(pexAddressKey({ host: '1.2.3.4', port: 65536 })).toBeUndefined()
    expect(pexAddressKey({ host: 'host.example', port: 5 })).toBeUndefined()
  })
})
