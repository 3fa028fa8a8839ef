/** A BitTorrent v2-only torrent is refused as such, not as a v1 torrent with bad piece hashes. */
import { describe, expect, it } from 'vitest'
import { MetainfoError } from '../../../lib/errors.js'
import { parse, throwsCode } from './helpers.js'

const v2Info = {
  name: 'data.bin',
  'piece length': 16384,
  'meta version': 2,
  'file tree': { 'data.bin': { '': { length: 50000, 'pieces root': new Uint8Array(32).fill(7) } } }
}

describe('v2-only torrents', () => {
  it('are refused with "v2 is not supported yet" (code v2-unsupported)', () => {
    const e = throwsCode(() => parse(v2Info, { 'piece layers': {} }), MetainfoError, 'v2-unsupported')
    expect(e.message).toMatch(/v2 is not supported yet/)
    expect(e.message).not.toMatch(/pieces is/)
    expect(e.disposition).toBe('reject')
  })

  it('a v1 torrent without pieces is still an invalid-hashes error', () => {
    const { pieces: _, ...noPieces } = { name: 'f', 'piece length': 16384, length: 10, pieces: new Uint8Array(20) }
    throwsCode(() => parse(noPieces), MetainfoError, 'invalid-hashes')
  })
})
