import { isRxTorrentError, type Disposition } from '../lib/errors.js'
import { LIMITS } from '../lib/constants.js'

/**
 * The one place that decides what happens to a peer after an error: the
 * disposition carried by the typed error, plus a per-address count of hash
 * failures the peer contributed to. Protocol rules stay in lib/; this only
 * keeps the ledger.
 */
export class PeerPolicy {
  readonly #banned = new Set<string>()
  readonly #failures = new Map<string, number>()
  readonly #maxHashFailures: number

  constructor (options: { maxHashFailures?: number } = {}) {
    this.#maxHashFailures = options.maxHashFailures ?? LIMITS.maxHashFailuresPerPeer
  }

  /** What to do with a peer whose session ended with `err`. */
  dispositionOf (err: unknown): Disposition {
    if (isRxTorrentError(err)) return err.disposition
    return 'disconnect'
  }

  /** Record a session's end; bans the host when the error says so. */
  sessionEnded (host: string, err: unknown): Disposition {
    const d = this.dispositionOf(err)
    if (d === 'ban') this.#banned.add(host)
    return d
  }

  /** A piece this host contributed to failed its hash; true when the host is now banned. */
  hashFailed (host: string): boolean {
    const n = (this.#failures.get(host) ?? 0) + 1
    this.#failures.set(host, n)
    if (n >= this.#maxHashFailures) { this.#banned.add(host); return true }
    return false
  }

  /** Whether `host` is banned. */
  isBanned (host: string): boolean { return this.#banned.has(host) }
  get bannedCount (): number { return this.#banned.size }
}
