/**
 * Tracker and web-seed lists from metainfo, read leniently: entries that are
 * not UTF-8 byte strings, or are empty after trimming, are dropped, and
 * duplicates keep their first position.
 * @see BEP 12 (announce-list), BEP 17 (httpseeds), BEP 19 (url-list)
 */
import { utf8OrUndefined } from '../bencode/read-dict.js'
import type { BDict, BValue } from '../bencode/types.js'

/**
 * The announce tiers of a metainfo dictionary. When `announce-list` yields at
 * least one tracker it wins and `announce` is ignored; otherwise the result is
 * `[[announce]]`, or `[]` when there is no usable tracker. Tiers keep their
 * file order (shuffling within a tier is the tracker client's job). Never throws.
 * @see BEP 12
 */
export function parseAnnounceTiers (dict: BDict): string[][] {
  const seen = new Set<string>()
  const tiers: string[][] = []
  const list = dict['announce-list']
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) continue
      const urls = collect(tier, seen)
      if (urls.length > 0) tiers.push(urls)
    }
  }
  if (tiers.length > 0) return tiers
  const single = collect([dict.announce], seen)
  return single.length > 0 ? [single] : []
}

/**
 * BEP 19 `url-list`: a single string or a list of strings. Never throws.
 * @see BEP 19
 */
export function parseUrlList (value: BValue | undefined): string[] {
  if (value instanceof Uint8Array) return collect([value], new Set())
  return Array.isArray(value) ? collect(value, new Set()) : []
}

/**
 * BEP 17 `httpseeds`: a list of strings (a lone string is accepted too). Never throws.
 * @see BEP 17
 */
export function parseHttpSeeds (value: BValue | undefined): string[] {
  return parseUrlList(value)
}

function collect (items: readonly (BValue | undefined)[], seen: Set<string>): string[] {
  const out: string[] = []
  for (const item of items) {
    if (!(item instanceof Uint8Array)) continue
    const url = utf8OrUndefined(item)?.trim()
    if (url === undefined || url === '' || seen.has(url)) continue
    seen.add(url)
    out.push(url)
  }
  return out
}
