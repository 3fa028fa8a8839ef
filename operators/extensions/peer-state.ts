import { map } from 'rxjs'
import { decodeDontHave } from '../../lib/extensions/lt-donthave.js'
import { decodeUploadOnly } from '../../lib/extensions/upload-only.js'
import type { Extension } from '../extension.js'

/** A remote no longer has a piece (it failed to verify or was deleted). */
export interface DontHaveEvent { readonly type: 'dont-have', readonly index: number }
/** A remote will (or will no longer) only upload: a partial seed. */
export interface UploadOnlyEvent { readonly type: 'upload-only', readonly uploadOnly: boolean }

/**
 * BEP 54 `lt_donthave`: each message names a piece the peer lost. A payload
 * that is not 4 bytes, or an index out of range, ends the connection.
 * @see BEP 54
 */
export function ltDonthave (pieceCount: () => number): Extension<DontHaveEvent> {
  return {
    name: 'lt_donthave',
    attach: (messages$) => messages$.pipe(map((payload) => ({ type: 'dont-have' as const, index: decodeDontHave(payload, pieceCount()) })))
  }
}

/**
 * The `upload_only` message (BEP 21 as libtorrent sends it): one byte saying
 * the peer is (1) or is no longer (0) only uploading. Announced in the
 * handshake as `upload_only` when `weAreUploadOnly()` says so.
 * @see BEP 21
 */
export function uploadOnly (weAreUploadOnly: () => boolean): Extension<UploadOnlyEvent> {
  return {
    name: 'upload_only',
    handshakeFields: () => (weAreUploadOnly() ? { uploadOnly: true } : {}),
    attach: (messages$) => messages$.pipe(map((payload) => ({ type: 'upload-only' as const, uploadOnly: decodeUploadOnly(payload) })))
  }
}
