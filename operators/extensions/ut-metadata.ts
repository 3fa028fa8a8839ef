import { EMPTY, Observable, filter, map, mergeMap } from 'rxjs'
import { ProtocolError } from '../../lib/errors.js'
import { decodeMetadataMessage, encodeMetadataMessage, metadataPieceCount, metadataPieceLength, type MetadataData, type MetadataMessage } from '../../lib/extensions/ut-metadata.js'
import { METADATA_PIECE_SIZE } from '../../lib/extensions/limits.js'
import type { Extension } from '../extension.js'

/** Options of {@link utMetadataServe}. */
export interface UtMetadataServeOptions {
  /** The info dictionary's bytes, once known (undefined while fetching them). */
  readonly metadata: () => Uint8Array | undefined
  /** BEP 27: a private torrent's metadata is never handed out; every request is rejected. */
  readonly private?: boolean
  /** Requests answered per connection before the peer counts as flooding; default 4 × pieces + 8. */
  readonly maxRequests?: number
}

/**
 * The serving half of BEP 9 `ut_metadata`: announces `metadata_size` in our
 * extended handshake and answers each request with the piece (or a reject
 * while we lack the metadata, or always for a private torrent). Messages
 * the remote sends that we did not ask for (data, rejects) are ignored.
 * A malformed message or a request flood ends the connection with a
 * `ProtocolError`.
 * @see BEP 9, BEP 27
 */
export function utMetadataServe (options: UtMetadataServeOptions): Extension<never> {
  return {
    name: 'ut_metadata',
    handshakeFields: () => {
      const m = options.metadata()
      return m === undefined || options.private === true ? {} : { metadataSize: m.length }
    },
    attach: (messages$, peer) => {
      let answered = 0
      return messages$.pipe(
        map((payload) => decodeMetadataMessage(payload)),
        filter((m): m is Extract<MetadataMessage, { msgType: 'request' }> => m.msgType === 'request'),
        mergeMap((m) => {
          const metadata = options.private === true ? undefined : options.metadata()
          const limit = options.maxRequests ?? (metadata === undefined ? 64 : 4 * metadataPieceCount(metadata.length) + 8)
          if (++answered > limit) throw new ProtocolError('metadata-request-flood', `more than ${limit} ut_metadata requests`, { details: { peer: peer.key } })
          if (metadata === undefined || m.piece >= metadataPieceCount(metadata.length)) {
            peer.send(encodeMetadataMessage({ msgType: 'reject', piece: m.piece }))
          } else {
            const begin = m.piece * METADATA_PIECE_SIZE
            const data = metadata.subarray(begin, begin + metadataPieceLength(metadata.length, m.piece))
            peer.send(encodeMetadataMessage({ msgType: 'data', piece: m.piece, totalSize: metadata.length, data }))
          }
          return EMPTY
        })
      )
    }
  }
}

/** A piece of metadata received from a peer (the fetching half emits these). */
export type MetadataPieceEvent = Pick<MetadataData, 'piece' | 'totalSize' | 'data'> & { readonly type: 'metadata-piece' } | { readonly type: 'metadata-reject', readonly piece: number }

/**
 * The fetching half of BEP 9: turns the remote's data and reject messages
 * into events (the caller's assembler decides what to request next and sends
 * requests with `requestMetadataPiece`).
 */
export function utMetadataFetch (): Extension<MetadataPieceEvent> {
  return {
    name: 'ut_metadata',
    attach: (messages$) => new Observable<MetadataPieceEvent>((subscriber) => messages$.subscribe({
      next: (payload) => {
        let m: MetadataMessage
        try { m = decodeMetadataMessage(payload) } catch (err) { subscriber.error(err); return }
        if (m.msgType === 'data') subscriber.next({ type: 'metadata-piece', piece: m.piece, totalSize: m.totalSize, data: m.data })
        else if (m.msgType === 'reject') subscriber.next({ type: 'metadata-reject', piece: m.piece })
      },
      error: (e: unknown) => { subscriber.error(e) },
      complete: () => { subscriber.complete() }
    }))
  }
}

/** The payload requesting metadata piece `piece`. */
export function requestMetadataPiece (piece: number): Uint8Array {
  return encodeMetadataMessage({ msgType: 'request', piece })
}
