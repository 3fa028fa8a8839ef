/**
 * Human-readable lines for what a tolerant decode of metainfo accepted.
 * @see BEP 3
 */
import type { ByteRange, ToleratedInput } from '../bencode/decode.js'

/**
 * One line per kind of tolerated input, saying whether it was inside `info`:
 * `keys out of order in info`, `duplicate keys in the torrent (the first is
 * used)`, `integers with leading zeros in info`, `negative zero in the
 * torrent`, `string lengths with leading zeros in info`, `trailing bytes
 * after the torrent`. Never throws.
 */
export function describeTolerated (found: readonly ToleratedInput[], info: ByteRange | undefined): string[] {
  const lines = new Set<string>()
  for (const t of found) {
    const where = info !== undefined && t.offset >= info.start && t.offset < info.end ? 'in info' : 'in the torrent'
    if (t.code === 'unsorted-keys') lines.add(`keys out of order ${where}`)
    else if (t.code === 'duplicate-key') lines.add(`duplicate keys ${where} (the first is used)`)
    else if (t.code === 'int-leading-zero') lines.add(`integers with leading zeros ${where}`)
    else if (t.code === 'int-negative-zero') lines.add(`negative zero ${where}`)
    else if (t.code === 'string-leading-zero') lines.add(`string lengths with leading zeros ${where}`)
    else lines.add('trailing bytes after the torrent (ignored)')
  }
  return [...lines]
}
