import { RxTorrentError } from '../lib/errors.js'
import type { Hasher } from '../lib/storage/types.js'
import type { TorrentExtensionEvent } from '../lib/torrent/types.js'

/** The engine's typed form of an extension event, when it is one the engine acts on. */
export function engineExtensionEvent (event: unknown): TorrentExtensionEvent | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const e = event as { type?: unknown, index?: unknown, uploadOnly?: unknown }
  if (e.type === 'dont-have' && typeof e.index === 'number') return { type: 'dont-have', index: e.index }
  if (e.type === 'upload-only') return { type: 'upload-only', uploadOnly: e.uploadOnly === true }
  return undefined
}

/** SHA-1 as a synchronous function, when the hasher answers synchronously (for the BEP 6 allowed-fast set). */
export function syncDigest (hasher: Hasher): ((data: Uint8Array) => Uint8Array) | undefined {
  const probe = hasher.sha1([new Uint8Array(0)])
  if (!(probe instanceof Uint8Array)) return undefined
  return (data) => {
    const d = hasher.sha1([data])
    if (d instanceof Uint8Array) return d
    throw new RxTorrentError('async-hasher', 'the hasher answered asynchronously', { disposition: 'ignore' })
  }
}
