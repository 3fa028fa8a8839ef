import { RxTorrentError, type RxTorrentErrorOptions } from '../errors.js'

/**
 * Codes of {@link TrackerError}:
 * - `failure`: the tracker answered with a `failure reason` (in the message and `details.reason`);
 * - `bad-response`, `too-large`, `bad-compact-peers`, `short-packet`, `transaction-mismatch`: unusable replies;
 * - `timeout`, `redirect-loop`, `bad-url`, `refused`, `unreachable` (ICMP port unreachable from a UDP tracker): client-side transport outcomes;
 * - `bad-request`, `bad-info-hash`, `bad-peer-id`, `bad-port`, `too-many-hashes`,
 *   `not-allowed`, `bad-connection-id`: requests a server rejects (the message is fit for a `failure reason`).
 */
export type TrackerErrorCode =
  | 'failure' | 'bad-response' | 'too-large' | 'bad-compact-peers' | 'timeout' | 'redirect-loop'
  | 'bad-url' | 'refused' | 'unreachable' | 'transaction-mismatch' | 'short-packet' | 'bad-request' | 'bad-info-hash'
  | 'bad-peer-id' | 'bad-port' | 'too-many-hashes' | 'not-allowed' | 'bad-connection-id'
  | (string & {})

/** Options of {@link TrackerError}: those of every error and the BEP 31 retry hint. */
export interface TrackerErrorOptions extends RxTorrentErrorOptions {
  /** BEP 31: seconds after which the request may be repeated, or `never`. */
  readonly retryIn?: number | 'never'
}

/**
 * A tracker request or response that failed. The default disposition is
 * `ignore` (drop this reply, let the announce schedule retry); a failure the
 * tracker marks as permanent (`retry in: never`) is `reject`.
 * @see BEP 3, BEP 15, BEP 31
 */
export class TrackerError extends RxTorrentError {
  override name = 'TrackerError'
  /** BEP 31 `retry in`, converted to seconds, or `never`. */
  readonly retryIn?: number | 'never'
  constructor (code: TrackerErrorCode, message: string, options: TrackerErrorOptions = {}) {
    super(code, message, { disposition: options.retryIn === 'never' ? 'reject' : 'ignore', ...options })
    if (options.retryIn !== undefined) this.retryIn = options.retryIn
  }
}
