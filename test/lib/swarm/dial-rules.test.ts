import { describe, expect, it } from 'vitest'
import { dialFailureReason, dialVetoed, hostOfKey, isOwnAddress, metadataPeerHopeless, peersExhausted } from '../../../lib/swarm/dial-rules.js'

describe('dial rules', () => {
  it('takes the host out of an address key, IPv6 brackets off', () => {
    expect(hostOfKey('10.0.0.1:6881')).toBe('10.0.0.1')
    expect(hostOfKey('[2001:db8::1]:6881')).toBe('2001:db8::1')
    expect(hostOfKey('peer.example')).toBe('peer.example')
  })

  it('knows our own address as bound and as a local tracker hands it back', () => {
    const listen = { host: '0.0.0.0', port: 6881 }
    expect(isOwnAddress('0.0.0.0:6881', listen)).toBe(true)
    expect(isOwnAddress('127.0.0.1:6881', listen)).toBe(true)
    expect(isOwnAddress('127.0.0.1:6882', listen)).toBe(false)
    expect(isOwnAddress('127.0.0.1:6881', undefined)).toBe(false)
  })

  it('vetoes banned addresses and hosts, ourselves, and peers connected by another route', () => {
    const banned = new Set(['10.0.0.2', '10.0.0.3:7'])
    const connected = new Set(['10.0.0.4:1'])
    const facts = { isBanned: (k: string) => banned.has(k), listen: { host: '10.0.0.1', port: 6881 }, isConnectedAt: (k: string) => connected.has(k) }
    expect(['10.0.0.2:1', '10.0.0.3:7', '10.0.0.3:8', '10.0.0.1:6881', '10.0.0.4:1', '10.0.0.5:1'].filter((k) => dialVetoed(k, facts)))
      .toEqual(['10.0.0.2:1', '10.0.0.3:7', '10.0.0.1:6881', '10.0.0.4:1'])
  })

  it('is exhausted only with the queue empty, no live source and no listener', () => {
    expect(peersExhausted({ queueExhausted: true, liveSources: 0, listening: false })).toBe(true)
    expect(peersExhausted({ queueExhausted: false, liveSources: 0, listening: false })).toBe(false)
    expect(peersExhausted({ queueExhausted: true, liveSources: 1, listening: false })).toBe(false)
    expect(peersExhausted({ queueExhausted: true, liveSources: 0, listening: true })).toBe(false)
  })

  it('names a dial failure once', () => {
    const a = { host: '10.0.0.1', port: 1 }
    expect(dialFailureReason(a, 'cannot connect to 10.0.0.1:1: connection refused (ECONNREFUSED)')).toBe('connection refused (ECONNREFUSED)')
    expect(dialFailureReason(a, 'timed out')).toBe('timed out')
  })
})

describe('metadataPeerHopeless', () => {
  it('gives up a peer without the extension protocol or the metadata, or that rejected a piece; retries the rest', () => {
    expect(['no-metadata', 'no-extensions', 'metadata-rejected', 'metadata-timeout', 'bad-metadata-length', 'connection-reset'].filter(metadataPeerHopeless))
      .toEqual(['no-metadata', 'no-extensions', 'metadata-rejected'])
  })
})
