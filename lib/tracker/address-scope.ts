import { normalizeIp } from './ip-address.js'

/**
 * True for a loopback address: 127.0.0.0/8, `::1`, or IPv4-mapped loopback.
 * @throws nothing
 */
export function isLoopback (host: string): boolean {
  const ip = normalizeIp(host)
  if (ip === undefined) return false
  if (ip.family === 4) return ip.bytes[0] === 127
  for (let i = 0; i < 15; i++) if (ip.bytes[i] !== 0) return false
  return ip.bytes[15] === 1
}
