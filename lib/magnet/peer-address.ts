import type { PeerAddress } from '../transport/types.js'

/**
 * A peer address from a magnet's `x.pe`: `host:port`, `1.2.3.4:port` or
 * `[v6]:port`, with a port of 1–65535. IPv6 hosts are returned without
 * brackets. Undefined for anything else.
 * @throws nothing
 * @see BEP 9 (`x.pe`)
 */
export function parsePeerAddress (text: string): PeerAddress | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(text)
  if (m === null) return undefined
  const host = m[1] ?? m[2]
  const port = Number(m[3])
  if (host === undefined || port < 1 || port > 65535) return undefined
  if (m[1] !== undefined && !m[1].includes(':')) return undefined
  return { host, port }
}
