import { RxTorrentError, type RxTorrentErrorOptions } from '../errors.js'

/**
 * A web seed answered badly or not at all: wrong status, wrong
 * `Content-Range`, a body of the wrong length, a timeout. The disposition is
 * `disconnect` (stop using this web seed) for `gone`, else `ignore` (retry later).
 * @see BEP 19
 */
export class WebSeedError extends RxTorrentError {
  override name = 'WebSeedError'
  constructor (code: string, message: string, options: RxTorrentErrorOptions = {}) {
    super(code, message, { disposition: 'ignore', ...options })
  }
}
