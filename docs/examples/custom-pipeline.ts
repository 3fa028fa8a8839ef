// One connection assembled by hand from operators: handshake, frame decoding,
// the peer session, piece assembly, SHA-1 verification and an in-memory
// storage. This is what `download()` does per peer, minus the bookkeeping.
import { pipe } from 'it-pipe'
import type { Duplex, Torrent } from '../../lib/index.js'
import { Bitfield, MemoryStorage, PeerSession, PieceAssembler, RequestPlanner, geometryOf, makeReserved } from '../../lib/index.js'
import { assemblePieces, decodeFrames, demuxMessages, encodeFrames, handshake, OutboundQueue, verifyPieces, writePieces } from '../../operators/index.js'
import { nodeHasher } from '../../pipelines/index.js'

/** Fetch every piece of `torrent` from one peer over `conn`; resolves with the storage. */
export async function fetchFromOnePeer (conn: Duplex, torrent: Torrent, peerId: Uint8Array): Promise<MemoryStorage> {
  const geometry = geometryOf(torrent)
  const have = new Bitfield(torrent.pieceCount)
  const planner = new RequestPlanner(geometry, { have })
  const storage = new MemoryStorage(torrent.length)
  const out = new OutboundQueue()
  const sending = conn.sink(pipe(out, encodeFrames()))

  const hs = await handshake({ source: conn.source, write: (b) => { out.push(b) } }, {
    role: 'initiator', infoHash: torrent.infoHash, peerId, reserved: makeReserved({ fast: true })
  })
  const session = new PeerSession({ geometry, fast: hs.capabilities.fast, extended: false, ourHave: have })
  const topUp = (): void => {
    if (session.peerChoking || !session.amInterested) return
    const refs = planner.next('peer', session.peerHas, 64 - session.outstanding.size)
    for (const m of session.request(refs, 0)) out.push(m)
  }

  const pieces = pipe(
    hs.source,
    decodeFrames(),
    demuxMessages('peer', session, {
      now: () => 0,
      acceptBlock: (index, begin, length) => planner.receive('peer', { index, begin, length }) === 'accepted',
      onEvent: (e) => {
        if (e.type === 'bitfield') { planner.peerHas('peer', e.bitfield); for (const m of session.interested()) out.push(m) }
        if (e.type === 'have') planner.peerHave('peer', e.index)
      },
      onBatch: topUp
    }),
    assemblePieces(new PieceAssembler(geometry)),
    verifyPieces({ pieceHashes: torrent.pieceHashes, hasher: nodeHasher }),
    writePieces(storage, { pieceLength: torrent.pieceLength })
  )
  for await (const piece of pieces) {
    if (piece.ok) planner.pieceVerified(piece.index)
    else planner.pieceFailed(piece.index)
    if (have.complete) break
  }
  out.end()
  conn.close()
  await sending.catch(() => {})
  return storage
}
