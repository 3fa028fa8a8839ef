/**
 * A reference seeder for the upload benchmark's ceiling: the least work a
 * BitTorrent seeder can do on this machine. It holds the whole single-file
 * torrent in memory, answers the handshake, sends a full bitfield and
 * `unchoke`, and answers every `request` with one `writev` of the 13-byte
 * header and a view into that memory: no check, no disk, no choking, no
 * extensions, no bookkeeping. What libtorrent's downloader reaches from it
 * bounds what any seeder can reach here, since the downloader, on the same
 * CPUs, is then the only work left.
 *
 *   node --import tsx bench/null-seeder.ts <file.torrent> <data-dir>
 *
 * Prints `{"type":"listening","address":"127.0.0.1:<port>"}` once it has
 * read the data and listens; runs until killed. Not part of the library.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { parseTorrentFile } from '../pipelines/parse-torrent-file.js'

const PROTOCOL = Buffer.from('\x13BitTorrent protocol', 'latin1')
const HANDSHAKE_BYTES = 68

const [torrentPath, dataDir] = process.argv.slice(2)
if (torrentPath === undefined || dataDir === undefined) {
  console.error('usage: null-seeder <file.torrent> <data-dir>')
  process.exit(2)
}
const torrent = parseTorrentFile(await readFile(torrentPath))
const data = await readFile(join(dataDir, torrent.name))
if (data.length !== torrent.length) throw new Error(`${torrent.name}: ${data.length} bytes, the torrent says ${torrent.length}`)
const infoHash = Buffer.from(torrent.infoHash)
const peerId = Buffer.from('-NL0001-nullseeder00', 'latin1')

/** Handshake, then bitfield and unchoke, in one write. */
function opening (): Buffer {
  const bitfield = Buffer.alloc(Math.ceil(torrent.pieceCount / 8))
  for (let i = 0; i < torrent.pieceCount; i++) bitfield[i >> 3] = (bitfield[i >> 3] as number) | (0x80 >> (i & 7))
  const bf = Buffer.alloc(5)
  bf.writeUInt32BE(bitfield.length + 1, 0)
  bf[4] = 5
  const unchoke = Buffer.from([0, 0, 0, 1, 1])
  return Buffer.concat([PROTOCOL, Buffer.alloc(8), infoHash, peerId, bf, bitfield, unchoke])
}

function serve (socket: Socket): void {
  socket.setNoDelay(true)
  let pending: Buffer = Buffer.alloc(0)
  let greeted = false
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    if (!greeted) {
      if (pending.length < HANDSHAKE_BYTES) return
      if (!pending.subarray(28, 48).equals(infoHash)) { socket.destroy(); return }
      greeted = true
      pending = pending.subarray(HANDSHAKE_BYTES)
      socket.write(opening())
    }
    pending = answer(socket, pending)
  })
  socket.on('drain', () => { socket.resume() })
  socket.on('error', () => { socket.destroy() })
}

/** Answers every whole `request` in `buf`; returns what is left of an unfinished message. */
function answer (socket: Socket, buf: Buffer): Buffer {
  let at = 0
  let full = false
  socket.cork()
  while (buf.length - at >= 4) {
    const len = buf.readUInt32BE(at)
    if (buf.length - at - 4 < len) break
    if (len === 13 && buf[at + 4] === 6) {
      const index = buf.readUInt32BE(at + 5)
      const begin = buf.readUInt32BE(at + 9)
      const length = buf.readUInt32BE(at + 13)
      const start = index * torrent.pieceLength + begin
      const header = Buffer.alloc(13)
      header.writeUInt32BE(length + 9, 0)
      header[4] = 7
      header.writeUInt32BE(index, 5)
      header.writeUInt32BE(begin, 9)
      socket.write(header)
      full = !socket.write(data.subarray(start, start + length))
    }
    at += 4 + len
  }
  process.nextTick(() => { socket.uncork() })
  if (full) socket.pause()
  return buf.subarray(at)
}

const server = createServer(serve)
server.listen(0, '127.0.0.1', () => {
  const a = server.address()
  if (a === null || typeof a === 'string') throw new Error('no address')
  console.log(JSON.stringify({ type: 'listening', address: `127.0.0.1:${a.port}` }))
})
