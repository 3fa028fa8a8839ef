import { Bitfield } from '../lib/pieces/bitfield.js'
import { webSeedBlocks } from './node/web-seed.js'
import type { TorrentRuntime } from './torrent-runtime.js'
import type { TorrentWarning } from './types.js'

/** At most this many web seeds are fetched from at once (BEP 19). */
export const MAX_WEB_SEEDS = 10

/**
 * BEP 19: fetch from the torrent's `url-list` and the extra `urls` (http(s)
 * only, at most {@link MAX_WEB_SEEDS}) into the runtime, each as a source
 * of its own (`ws:<url>`) that the planner feeds while it is not banned.
 * Returns one promise per seed, settled when that seed is done or given up;
 * failures become warnings. Nothing when the torrent is already complete.
 */
export function startWebSeeds (rt: TorrentRuntime, urls: readonly string[], signal: AbortSignal, onWarning?: (w: TorrentWarning) => void): Array<Promise<void>> {
  if (rt.complete) return []
  const torrent = rt.torrent
  const chosen = [...new Set([...torrent.urlList, ...urls])].filter((u) => /^https?:\/\//i.test(u)).slice(0, MAX_WEB_SEEDS)
  const everything = Bitfield.full(torrent.pieceCount)
  const warn = (url: string, key: string, message: string): void => {
    if (!signal.aborted) onWarning?.({ type: 'warning', message: `web seed ${url}: ${message}`, peer: key })
  }
  return chosen.map(async (url) => {
    const key = `ws:${url}`
    await rt.ingestBlocks(key, webSeedBlocks({
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
