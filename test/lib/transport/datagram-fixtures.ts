/** Datagrams of every protocol a session's UDP socket carries, for the classifier and demultiplexer tests. */
import { encodeUdpResponse } from '../../../lib/tracker/udp-server-codec.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** BEP 15 replies, each with transaction id `tid`. */
export function trackerReplies (tid: number): Record<string, Uint8Array> {
  return {
    connect: encodeUdpResponse({ action: 'connect', transactionId: tid, connectionId: 0x0102030405060708n }),
    announce: encodeUdpResponse({ action: 'announce', transactionId: tid, interval: 1800, leechers: 2, seeders: 3, peers: [{ host: '10.0.0.1', port: 6881 }] }),
    scrape: encodeUdpResponse({ action: 'scrape', transactionId: tid, entries: [{ complete: 1, downloaded: 2, incomplete: 3 }] }),
    error: encodeUdpResponse({ action: 'error', transactionId: tid, message: 'go away' })
  }
}

/** BEP 5 KRPC messages: a ping query, a response, an error. */
export const krpc: Record<string, Uint8Array> = {
  query: text('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe'),
  response: text('d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re'),
  error: text('d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee')
}

/** A BEP 29 packet: `type` in the high nibble, version 1 in the low one, a 20-byte header and `payload` bytes. */
export function utpPacket (type: number, payload = 0, version = 1): Uint8Array {
  const b = new Uint8Array(20 + payload)
  b[0] = (type << 4) | version
  const v = new DataView(b.buffer)
  v.setUint16(2, 0x1234) // connection_id
  v.setUint32(4, 1_000_000) // timestamp_microseconds
  v.setUint32(12, 65_535) // wnd_size
  v.setUint16(16, 7) // seq_nr
  v.setUint16(18, 6) // ack_nr
  return b
}

/** ST_DATA 0, ST_FIN 1, ST_STATE 2, ST_RESET 3, ST_SYN 4. */
export const UTP = { DATA: 0, FIN: 1, STATE: 2, RESET: 3, SYN: 4 } as const
