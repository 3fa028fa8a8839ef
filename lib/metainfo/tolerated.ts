/**
 * Human-readable lines for what a tolerant decode of metainfo accepted.
 * @see BEP 3
 */
import type { ByteRange, ToleratedInput } from '../bencode/decode.js'

/**
 * One line per kind of tolerated input, saying whether it was inside `info`:
 * `keys out of order in info`, `duplicate keys in the torrent (the first is
 * used)`, `trailing bytes after the torrent`. Never throws.
 */
export function describeTolerated (found: readonly ToleratedInput[], info: ByteRange | undefined): string[] {
  const lines = new Set<string>()
  for (const t of found) {
    const where = info !== undefined && t.offset >= info.start && t.offset < info.end ? 'in info' : 'in the torrent'
    if (t.code === 'unsorted-keys') lines.add(`keys out of order ${where}`)
    else if (t.code === 'duplicate-key') lines.add(`duplicate keys ${where} (the first is used)`)
    else lines.add('trailing bytes after the torrent (ignored)')
  }
  return [...lines]
}
