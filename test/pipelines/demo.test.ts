/**
 * The demo prints no warning. It used to print "already connected to peer id"
 * every run: the seed learns the downloader's address from the second
 * tracker tier while the downloader's own connection to it is still in its
 * handshake, dials it back, and the two connections to one peer met the
 * duplicate rule, which refused the newer one at each end and told the user.
 * Now a peer reached by another route is not dialed, both ends keep the same
 * connection of two (libtorrent's rule), and closing the other is silent.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { runDemo } from '../../pipelines/demo.js'

function capture (): { stream: Writable, text: () => string } {
  let text = ''
  return { stream: new Writable({ write (chunk: Buffer, _enc, cb) { text += chunk.toString(); cb() } }), text: () => text }
}

describe('rxtorrent demo', { timeout: 60_000 }, () => {
  it('runs three times without a warning (no duplicate-connection message)', async () => {
    for (let i = 0; i < 3; i++) {
      const out = capture()
      const err = capture()
      expect(await runDemo({ size: 8 * 1024 * 1024, pieceLength: 64 * 1024, stdout: out.stream, stderr: err.stream })).toBe(0)
      const all = out.text() + err.text()
      expect(all).toMatch(/every file is identical to its source/)
      expect(all).not.toMatch(/warning|already connected/)
    }
  })
})
