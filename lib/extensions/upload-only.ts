/**
 * The `upload_only` extension message codec (libtorrent): one byte saying
 * whether the sender now only uploads. The same flag can be sent once in the
 * extended handshake as the `upload_only` key.
 * @see BEP 21
 */
import { ProtocolError } from '../errors.js'

/**
 * Encode an `upload_only` payload: one byte, 1 for upload-only, 0 otherwise.
 * @throws nothing
 * @see BEP 21
 */
export function encodeUploadOnly (uploadOnly: boolean): Uint8Array {
  return Uint8Array.of(uploadOnly ? 1 : 0)
}

/**
 * Decode an `upload_only` payload. Any non-zero byte means upload-only, as
 * libtorrent reads it.
 * @throws ProtocolError `bad-upload-only` (disposition `disconnect`) when the
 *   payload is not exactly one byte
 * @see BEP 21
 */
export function decodeUploadOnly (payload: Uint8Array): boolean {
  if (payload.length !== 1) {
    throw new ProtocolError('bad-upload-only', `upload_only payload is ${payload.length} bytes, not 1`, { details: { length: payload.length } })
  }
  return payload[0] !== 0
}
