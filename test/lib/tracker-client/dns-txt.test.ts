import { describe, expect, it } from 'vitest'
import { applyTrackerTxt, parseTrackerTxt } from '../../../lib/tracker-client/dns-txt.js'

describe('parseTrackerTxt', () => {
  it('reads the BEP 34 examples', () => {
    expect(parseTrackerTxt([['BITTORRENT DENY ALL']])).toEqual({ kind: 'deny' })
    expect(parseTrackerTxt([['BITTORRENT']])).toEqual({ kind: 'deny' })
    expect(parseTrackerTxt([['BITTORRENT UDP:1337 TCP:80']])).toEqual({
      kind: 'services', services: [{ protocol: 'udp', port: 1337 }, { protocol: 'tcp', port: 80 }]
    })
    expect(parseTrackerTxt([['BITTORRENT TCP:80 UDP:1337']])).toEqual({
      kind: 'services', services: [{ protocol: 'tcp', port: 80 }, { protocol: 'udp', port: 1337 }]
    })
  })

  it('ignores other records and joins the strings of one record', () => {
    expect(parseTrackerTxt([['v=spf1 -all'], ['BITTORRENT ', 'UDP:6969']])).toEqual({ kind: 'services', services: [{ protocol: 'udp', port: 6969 }] })
    expect(parseTrackerTxt([['v=spf1 -all']])).toBeUndefined()
    expect(parseTrackerTxt([])).toBeUndefined()
    expect(parseTrackerTxt([['bittorrent UDP:1']])).toBeUndefined()
  })

  it('skips bad ports, unknown words and duplicates; nothing usable means deny', () => {
    expect(parseTrackerTxt([['BITTORRENT UDP:0 TCP:65536 TCP:x SCTP:1 UDP:5 UDP:5']])).toEqual({ kind: 'services', services: [{ protocol: 'udp', port: 5 }] })
    expect(parseTrackerTxt([['BITTORRENT UDP:0 FOO']])).toEqual({ kind: 'deny' })
  })

  it('bounds what it reads', () => {
    const many = 'BITTORRENT ' + Array.from({ length: 100 }, (_, i) => `UDP:${i + 1}`).join(' ')
    const p = parseTrackerTxt([[many]])
    expect(p?.kind === 'services' ? p.services.length : 0).toBe(16)
    expect(parseTrackerTxt([['BITTORRENT UDP:1' + ' '.repeat(2000)]])).toBeUndefined()
  })
})

describe('applyTrackerTxt', () => {
  const services = parseTrackerTxt([['BITTORRENT UDP:6969 TCP:8080']])

  it('rewrites a URL to each service in order, keeping host, path and query', () => {
    expect(applyTrackerTxt('http://t.example/announce?k=1', services)).toEqual([
      'udp://t.example:6969/announce?k=1',
      'http://t.example:8080/announce?k=1'
    ])
    expect(applyTrackerTxt('https://t.example/a', parseTrackerTxt([['BITTORRENT TCP:443']]))).toEqual(['https://t.example:443/a'])
    expect(applyTrackerTxt('udp://[::1]:1', services)).toEqual(['udp://[::1]:6969', 'http://[::1]:8080/announce'])
  })

  it('deny gives nothing to try; no policy or a foreign URL gives the URL as is', () => {
    expect(applyTrackerTxt('http://t.example/announce', { kind: 'deny' })).toEqual([])
    expect(applyTrackerTxt('http://t.example/announce', undefined)).toEqual(['http://t.example/announce'])
    expect(applyTrackerTxt('wss://t.example/announce', services)).toEqual(['wss://t.example/announce'])
    expect(applyTrackerTxt('not a url', services)).toEqual(['not a url'])
  })
})
