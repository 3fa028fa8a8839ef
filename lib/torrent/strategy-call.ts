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
    throw strategyFailed(kind, name, cause)
  }
}

/** The `strategy-failed` error of a strategy (`kind` `name`) that threw `cause`, for a call made without {@link callStrategy}'s closure. */
export function strategyFailed (kind: string, name: string, cause: unknown): RxTorrentError {
  const message = cause instanceof Error ? cause.message : String(cause)
  return new RxTorrentError('strategy-failed', `${kind} ${name} failed: ${message}`, { disposition: 'fatal', cause, details: { strategy: kind, name } })
}
