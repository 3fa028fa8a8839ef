import type { Torrent } from '../lib/metainfo/types.js'
import { Bitfield } from '../lib/pieces/bitfield.js'
import type { BlockRef } from '../lib/pieces/geometry.js'
import type { BlockIn } from '../operators/assemble-pieces.js'
import type { TorrentRuntime } from './torrent-runtime.js'
import type { TorrentWarning } from './types.js'

/** What {@link WebSeedFetch} is given for one web seed. */
export interface WebSeedFetchOptions {
  /** The web seed's base URL. */
  readonly url: string
  readonly torrent: Torrent
  /** Names this web seed in the blocks it yields (`peer`). */
  readonly key: string
  /** Blocks the planner gives this web seed, at most `max`; `[]` when nothing is left for now. */
  readonly next: (max: number) => BlockRef[]
  /** Gives blocks back to the planner after a failure, on abort, or when the consumer stops early. */
  readonly release: (refs: readonly BlockRef[]) => void
  /** Told why a request failed and why the web seed was given up. */
  readonly onWarning: (message: string) => void
  readonly signal: AbortSignal
}

/**
 * Fetches one web seed's blocks (BEP 19), pulled by the runtime: on Node,
 * `webSeedBlocks` from pipelines/node/web-seed (HTTP and HTTPS `Range`
 * requests), filled in by `download` and `seed`.
 */
export type WebSeedFetch = (options: WebSeedFetchOptions) => AsyncIterable<BlockIn>

/** At most this many web seeds are fetched from at once (BEP 19). */
export const MAX_WEB_SEEDS = 10

/**
 * BEP 19: fetch from the torrent's `url-list` and the extra `urls` (http(s)
 * only, at most {@link MAX_WEB_SEEDS}) into the runtime, each as a source
 * of its own (`ws:<url>`) that the planner feeds while it is not banned.
 * Returns one promise per seed, settled when that seed is done or given up;
 * failures become warnings. Nothing when the torrent is already complete.
 */
export function startWebSeeds (rt: TorrentRuntime, urls: readonly string[], fetch: WebSeedFetch, signal: AbortSignal, onWarning?: (w: TorrentWarning) => void): Array<Promise<void>> {
  if (rt.complete) return []
  const torrent = rt.torrent
  const chosen = [...new Set([...torrent.urlList, ...urls])].filter((u) => /^https?:\/\//i.test(u)).slice(0, MAX_WEB_SEEDS)
  const everything = Bitfield.full(torrent.pieceCount)
  const warn = (url: string, key: string, message: string): void => {
    if (!signal.aborted) onWarning?.({ type: 'warning', message: `web seed ${url}: ${message}`, peer: key })
  }
  return chosen.map(async (url) => {
    const key = `ws:${url}`
    await rt.ingestBlocks(key, fetch({
      url,
      torrent,
      key,
      signal,
      next: (max) => (rt.complete || rt.policy.isBanned(key) ? [] : rt.planner.next(key, everything, max)),
      release: (refs) => { for (const r of refs) rt.planner.release(key, r) },
      onWarning: (message) => { warn(url, key, message) }
    })).catch((e: unknown) => { warn(url, key, e instanceof Error ? e.message : String(e)) })
  })
}
