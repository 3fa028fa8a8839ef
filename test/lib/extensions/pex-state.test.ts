import { describe, it, expect } from 'vitest'
import { PexInbox, PexState } from '../../../lib/extensions/pex-state.js'
import type { PexPeer } from '../../../lib/extensions/ut-pex.js'

const peer = (i: number, flags = 0): PexPeer => ({ host: `10.${(i >> 8) & 255}.${i & 255}.1`, port: 6881, flags })
const peers = (from: number, to: number): PexPeer[] => Array.from({ length: to - from }, (_, k) => peer(from + k))
const MIN = 60_000

describe('PexState', () => {
  it('sends the current set on the first call, then nothing until something changes', () => {
    const s = new PexState()
    expect(s.diff(peers(0, 3), 0)).toEqual({ added: peers(0, 3), dropped: [] })
    expect(s.diff(peers(0, 3), MIN)).toBeUndefined()
  })

  it('waits intervalMs between messages, then sends the difference since the last sent set', () => {
    const s = new PexState()
    s.diff(peers(0, 3), 0)
    expect(s.diff(peers(1, 5), MIN - 1)).toBeUndefined()
    expect(s.diff(peers(1, 5), MIN)).toEqual({ added: peers(3, 5), dropped: [{ host: '10.0.0.1', port: 6881 }] })
  })

  it('an empty first call sends nothing and does not start the interval', () => {
    const s = new PexState()
    expect(s.diff([], 0)).toBeUndefined()
    expect(s.diff(peers(0, 1), 1)).toEqual({ added: peers(0, 1), dropped: [] })
  })

  it('never sends more than maxAdded or maxDropped; the rest is carried over to the next round', () => {
    const s = new PexState({ maxAdded: 50, maxDropped: 50 })
    const first = s.diff(peers(0, 120), 0)
    expect(first?.added).toEqual(peers(0, 50))
    expect(s.diff(peers(0, 120), MIN)?.added).toEqual(peers(50, 100))
    expect(s.diff(peers(0, 120), 2 * MIN)?.added).toEqual(peers(100, 120))
    const drop = s.diff([], 3 * MIN)
    expect(drop?.added).toEqual([])
    expect(drop?.dropped).toHaveLength(50)
    expect(s.diff([], 4 * MIN)?.dropped).toHaveLength(50)
    expect(s.diff([], 5 * MIN)?.dropped).toHaveLength(20)
    expect(s.diff([], 6 * MIN)).toBeUndefined()
  })

  it('re-sends a peer in added when its flags change; duplicates and unusable addresses are ignored', () => {
    const s = new PexState({ intervalMs: 10 })
    s.diff([peer(1, 0), peer(1, 2), { host: 'x.example', port: 1, flags: 0 }, { host: '1.1.1.1', port: 0, flags: 0 }], 0)
    expect(s.diff([peer(1, 2)], 10)).toEqual({ added: [peer(1, 2)], dropped: [] })
    expect(s.diff([{ ...peer(1, 2), flags: 0x102 }], 20)).toBeUndefined()
  })

  it('treats an IPv4-mapped IPv6 spelling as the same peer', () => {
    const s = new PexState({ intervalMs: 0 })
    s.diff([{ host: '1.2.3.4', port: 1, flags: 0 }], 0)
    expect(s.diff([{ host: '::ffff:1.2.3.4', port: 1, flags: 0 }], 1)).toBeUndefined()
  })
})

describe('PexInbox', () => {
  const self = [{ host: '192.0.2.7', port: 6881 }]

  it('D47: a second PEX message within a minute yields no peers and is counted as ignored', () => {
    const inbox = new PexInbox()
    expect(inbox.accept(0, { added: peers(0, 2), dropped: [] }, self)).toEqual(peers(0, 2))
    expect(inbox.accept(30_000, { added: peers(2, 4), dropped: [] }, self)).toEqual([])
    expect(inbox.ignored).toBe(1)
    expect(inbox.accept(44_999, { added: peers(2, 4), dropped: [] }, self)).toEqual([])
    expect(inbox.accept(45_000, { added: peers(2, 4), dropped: [] }, self)).toEqual(peers(2, 4))
    expect(inbox.ignored).toBe(2)
  })

  it('D47: more than 50 added peers are truncated to 50', () => {
    expect(new PexInbox().accept(0, { added: peers(0, 80), dropped: [] }, self)).toEqual(peers(0, 50))
    expect(new PexInbox({ maxPerMessage: 2 }).accept(0, { added: peers(0, 5), dropped: [] }, self)).toHaveLength(2)
  })

  it('drops our own addresses, port 0, non-IP hosts and repeats', () => {
    const got = new PexInbox().accept(0, {
      added: [
        { host: '192.0.2.7', port: 6881, flags: 0 },
        { host: '::ffff:192.0.2.7', port: 6881, flags: 0 },
        { host: '192.0.2.7', port: 6882, flags: 0 },
        { host: '198.51.100.1', port: 0, flags: 0 },
        { host: 'evil.example', port: 80, flags: 0 },
        { host: '198.51.100.1', port: 1, flags: 1 },
        { host: '198.51.100.1', port: 1, flags: 2 }
      ],
      dropped: []
    }, self)
    expect(got).toEqual([{ host: '192.0.2.7', port: 6882, flags: 0 }, { host: '198.51.100.1', port: 1, flags: 1 }])
  })
})
