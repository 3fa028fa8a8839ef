import { describe, expect, it } from 'vitest'
import { formatInfo, magnetInfo, torrentInfo } from '../../../pipelines/cli/info.js'
import { makeTorrent } from '../../storage/make-torrent.js'

describe('info records', () => {
  it('hides padding files and lays paths out under the name', () => {
    const t = makeTorrent([{ path: ['a'], length: 3 }, { path: ['.pad', '13'], length: 13, padding: true }, { path: ['d', 'b'], length: 5 }], { name: 'n' })
    expect(torrentInfo(t).files).toEqual([{ path: 'n/a', length: 3 }, { path: 'n/d/b', length: 5 }])
  })

  it('prints names as inert text: control and bidi characters are escaped', () => {
    const t = makeTorrent([{ path: ['x\u202Etxt.exe'], length: 1 }, { path: ['\u001b[2Jclear'], length: 1 }], { name: 'evil\nname' })
    const text = formatInfo(torrentInfo(t))
    expect(text).toContain('name:         evil\\u000aname')
    expect(text).toContain('x\\u202etxt.exe')
    expect(text).toContain('\\u001b[2Jclear')
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/)
  })

  it('describes a magnet without a name', () => {
    const r = magnetInfo({ infoHash: new Uint8Array(20), infoHashHex: '00'.repeat(20), trackers: [], webSeeds: [], peers: [{ host: '::1', port: 1 }] })
    expect(r).toEqual({ type: 'magnet', infoHash: '00'.repeat(20), trackers: [], webSeeds: [], peers: ['[::1]:1'] })
    expect(formatInfo(r)).toContain('trackers: none')
  })
})
