/**
 * Default limits for the extension protocol and metadata exchange. Each one is
 * an option of the function or class that enforces it.
 * @see BEP 9, BEP 10
 */

/** BEP 9: metadata travels in pieces of 16 KiB; only the last may be shorter. */
export const METADATA_PIECE_SIZE = 16 * 1024

/** Default limits of the extended handshake and `ut_metadata` codecs. */
export const EXTENSION_LIMITS = {
  /** Largest `metadata_size` accepted from a peer: 16 MiB. */
  maxMetadataSize: 16 * 1024 * 1024,
  /** Distinct `metadata_size` values tracked at once while fetching a magnet's metadata. */
  maxMetadataCandidates: 8,
  /** A `ut_metadata` request unanswered this long drops the peer (while fetching). */
  metadataRequestTimeoutMs: 15_000,
  /** Largest extended handshake payload; real ones are well under 1 KiB. */
  maxHandshakeLength: 64 * 1024,
  /** Largest `ut_metadata` payload: one 16 KiB piece plus 1 KiB for the dictionary. */
  maxMetadataMessageLength: METADATA_PIECE_SIZE + 1024,
  /** Bencode nesting accepted in extension messages. */
  maxBencodeDepth: 32,
  /** Bencode tokens accepted in one extension message. */
  maxBencodeTokens: 10_000
} as const
