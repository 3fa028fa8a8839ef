/**
 * Every protocol constant and every default limit, grouped by the BEP that
 * defines it. Decoders and queues take their limits as options; the values
 * here are only the defaults.
 */

/** BEP 3: the peer wire protocol. */
export const BEP3 = {
  /** The protocol string sent in every handshake. */
  PROTOCOL: 'BitTorrent protocol',
  /** Length of the handshake: 1 + 19 + 8 + 20 + 20. */
  HANDSHAKE_LENGTH: 68,
  /** The size of a block request; peers reject larger ones. */
  BLOCK_SIZE: 16 * 1024,
  /** Message ids. */
  CHOKE: 0,
  UNCHOKE: 1,
  INTERESTED: 2,
  NOT_INTERESTED: 3,
  HAVE: 4,
  BITFIELD: 5,
  REQUEST: 6,
  PIECE: 7,
  CANCEL: 8
} as const

/** BEP 5: the `port` message announcing our DHT port. */
export const BEP5 = { PORT: 9 } as const

/** BEP 6: the Fast extension. */
export const BEP6 = {
  SUGGEST_PIECE: 0x0d,
  HAVE_ALL: 0x0e,
  HAVE_NONE: 0x0f,
  REJECT_REQUEST: 0x10,
  ALLOWED_FAST: 0x11,
  /** Reserved byte 7, bit 0x04. */
  RESERVED_BYTE: 7,
  RESERVED_MASK: 0x04
} as const

/** BEP 10: the extension protocol envelope. */
export const BEP10 = {
  EXTENDED: 20,
  HANDSHAKE_ID: 0,
  /** Reserved byte 5, bit 0x10. */
  RESERVED_BYTE: 5,
  RESERVED_MASK: 0x10
} as const

/** BEP 29: the uTP packet header, as far as telling a uTP datagram apart needs it. */
export const BEP29 = {
  /** The version in the low nibble of a packet's first byte. */
  VERSION: 1,
  /** Highest packet type (high nibble): ST_DATA 0, ST_FIN 1, ST_STATE 2, ST_RESET 3, ST_SYN 4. */
  MAX_TYPE: 4,
  /** Length of the fixed header. */
  HEADER_LENGTH: 20
} as const

/** BEP 5 reserved bit announcing DHT support: byte 7, bit 0x01. */
export const DHT_RESERVED = { RESERVED_BYTE: 7, RESERVED_MASK: 0x01 } as const

/** Default limits. Each one is an option of the component that enforces it. */
export const LIMITS = {
  /** Largest wire message accepted (length prefix), BEP 3 blocks are 16 KiB. */
  maxMessageLength: 1024 * 1024 + 13,
  /** Largest block length a peer may request or send. */
  maxBlockLength: 16 * 1024,
  /** Largest .torrent file read from disk or network. */
  maxTorrentFileSize: 10 * 1024 * 1024,
  /** Bencode nesting depth. */
  maxBencodeDepth: 100,
  /** Bencode tokens in one document. */
  maxBencodeTokens: 2_500_000,
  /** Largest bencoded byte string. */
  maxBencodeStringLength: 100 * 1024 * 1024,
  /** Largest piece length accepted in metainfo: 512 MiB. */
  maxPieceLength: 512 * 1024 * 1024,
  /** Most pieces a torrent may have. */
  maxPieces: 0x200000,
  /** Largest single file: 2^48 bytes. */
  maxFileLength: 2 ** 48,
  /** Deepest directory nesting in a file path. */
  maxPathDepth: 100,
  /** Longest path element in bytes after sanitising. */
  maxPathElementBytes: 255,
  /** Requests a peer may have queued with us before we reject more. */
  maxIncomingRequests: 2000,
  /** Requests a choked peer may send before we disconnect it. */
  maxRequestsWhileChoked: 300,
  /** Most requests we keep outstanding to one peer. */
  requestQueueDepth: 250,
  /** Fewest requests we keep outstanding to a peer that has what we want, whatever its rate. */
  minRequestQueueDepth: 16,
  /** Seconds of a peer's measured download rate we keep requested from it (libtorrent's request_queue_time). */
  requestQueueSeconds: 3,
  /** Handshake must finish within this many milliseconds. */
  handshakeTimeoutMs: 10_000,
  /** A connection silent for this long is closed. */
  idleTimeoutMs: 120_000,
  /** An inbound connection that sends nothing for this long after it is accepted is closed. */
  inboundIdleTimeoutMs: 3_000,
  /** Inbound connections still in their handshake at once, apart from the connection limit. */
  maxHalfOpenInbound: 100,
  /** Inbound connections from one source address at once, handshaking and established. */
  maxConnectionsPerAddress: 8,
  /** We send a keep-alive after this long without sending anything. */
  keepAliveIntervalMs: 60_000,
  /** A request unanswered this long is re-issued elsewhere. */
  requestTimeoutMs: 60_000,
  /** Hash failures a peer may contribute to before its address is banned. */
  maxHashFailuresPerPeer: 3,
  /** Magnet link: most `tr`, `ws` and `x.pe` entries kept. */
  maxMagnetParams: 200,
  /** Outbound frames queued per connection before the writer waits. */
  maxOutboundQueue: 512,
  /** Largest datagram a session's UDP socket passes on (a UDP tracker's reply with 450 IPv6 peers fits); larger ones are dropped. */
  maxDatagramLength: 8192,
  /** UDP tracker transactions waiting for a reply at once on a session's socket. */
  maxUdpTransactions: 4096
} as const

/** The shape of {@link LIMITS}, writable, for options that override some of them. */
export type Limits = { -readonly [K in keyof typeof LIMITS]: number }
