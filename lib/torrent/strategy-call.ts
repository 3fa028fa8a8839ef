import { RxTorrentError } from '../errors.js'

/**
 * Call a user's strategy: whatever it throws becomes
 * `RxTorrentError('strategy-failed')` (fatal), which `step` turns into a
 * `stop` effect, so a broken strategy stops its torrent and nothing else.
 * @throws RxTorrentError `strategy-failed`
 */
export function callStrategy<T> (kind: string, name: string, fn: () => T): T {
  try {
    return fn()
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    throw new RxTorrentError('strategy-failed', `${kind} ${name} failed: ${message}`, { disposition: 'fatal', cause, details: { strategy: kind, name } })
  }
}
