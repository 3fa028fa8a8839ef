import { describe, it, expect } from 'vitest'
import { parseMagnet } from '../../../lib/magnet/parse-magnet.js'
import { MAX_SELECT_ONLY_INDEX, selectOnlyItems } from '../../../lib/magnet/select-only.js'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'

describe('parseMagnet tolerates what deployed clients write (issue 11 item 6)', () => {
  it('keys are case-insensitive: XT=, DN=, TR=, Tr.1=, X.PE=, SO=', () => {
    const m = parseMagnet(`magnet:?XT=urn:btih:${HEX}&DN=name&TR=http://t/a&Tr.1=udp://u:1&X.PE=1.2.3.4:5&SO=1,3&XL=10&KT=a+b&WS=http://w/`)
    expect(m.infoHashHex).toBe(HEX)
    expect(m.name).toBe('name')
    expect(m.trackers).toEqual(['http://t/a', 'udp://u:1'])
    expect(m.peers).toEqual([{ host: '1.2.3.4', port: 5 }])
    expect(m.selectOnly).toEqual([1, 3])
    expect(m.exactLength).toBe(10)
    expect(m.keywords).toEqual(['a', 'b'])
    expect(m.webSeeds).toEqual(['http://w/'])
    expect(m.warnings).toBeUndefined()
  })

  it('one bad so item is skipped with a warning, the rest are kept', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=0,x,5-2,4-6,1-`)
    expect(m.selectOnly).toEqual([0, 4, 5, 6])
    expect(m.warnings).toEqual([
      'so: "x" is not a file index or range: skipped',
      'so: "5-2" is not a file index or range: skipped',
      'so: "1-" is not a file index or range: skipped'
    ])
    // nothing usable: no selection (all files), and the warning
    const none = parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=abc`)
    expect(none.selectOnly).toBeUndefined()
    expect(none.warnings).toHaveLength(1)
  })

  it(`so indices beyond ${MAX_SELECT_ONLY_INDEX} are dropped and a range reaching past it is clipped`, () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=2,1000000,999999999,999998-1000005`)
    expect(m.selectOnly).toEqual([2, 999_998, 999_999])
    expect(m.warnings).toEqual([
      'so: "1000000" is beyond file index 999999: dropped',
      'so: "999999999" is beyond file index 999999: dropped',
      'so: "999998-1000005" is clipped at file index 999999'
    ])
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=3-9`, { maxSelectOnlyIndex: 4 }).selectOnly).toEqual([3, 4])
  })

  it('selections past the cap are dropped with one warning, without expanding the range', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&so=0-999999&so=5`, { maxSelectOnly: 100 })
    expect(m.selectOnly).toHaveLength(100)
    expect(m.warnings).toEqual(['so: more than 100 files selected: the rest are dropped'])
    const t = performance.now()
    expect(selectOnlyItems('0-999999,'.repeat(1000)).indices).toHaveLength(10_000)
    expect(performance.now() - t).toBeLessThan(1000)
  })

  it('trackers that are not http, https or udp are dropped with a warning', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}&tr=wss://tracker.openwebtorrent.com&tr=HTTPS://a/announce&tr=file:///etc/passwd&tr=udp://b:1&tr=javascript:alert(1)&tr=relative/announce`)
    expect(m.trackers).toEqual(['HTTPS://a/announce', 'udp://b:1'])
    expect(m.warnings).toEqual([
      'tracker "wss://tracker.openwebtorrent.com" dropped: only http, https and udp trackers are used',
      'tracker "file:///etc/passwd" dropped: only http, https and udp trackers are used',
      'tracker "javascript:alert(1)" dropped: only http, https and udp trackers are used',
      'tracker "relative/announce" dropped: only http, https and udp trackers are used'
    ])
  })

  it('warnings are bounded: at most 20 lines and a count of the rest', () => {
    const tr = Array.from({ length: 150 }, (_, i) => `&tr=ws://t${i}`).join('')
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX}${tr}`)
    expect(m.trackers).toEqual([])
    expect(m.warnings).toHaveLength(21)
    expect(m.warnings?.[20]).toBe('130 more warnings')
  })
})
