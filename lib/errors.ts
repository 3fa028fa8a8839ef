/**
 * Typed errors. Every error the library raises on bad input is one of these:
 * told apart by `name`, carrying structured fields, and saying what should
 * happen to the peer (or input) that caused it. The policy that acts on
 * `disposition` lives in one place, in `pipelines/`.
 */

/** What the caller should do with the peer or input that caused an error. */
export type Disposition =
  /** Drop the offending item, keep going. */
  | 'ignore'
  /** Close this peer's session; others go on. */
  | 'disconnect'
  /** Close the session and refuse the address from now on. */
  | 'ban'
  /** The input as a whole is unusable (a .torrent file, a magnet link). */
  | 'reject'
  /** Local failure (disk, config); the torrent cannot go on as it is. */
  | 'fatal'

/** Options of {@link RxTorrentError}: its disposition (default `disconnect`), its cause and structured details. */
export interface RxTorrentErrorOptions {
  readonly disposition?: Disposition
  readonly cause?: unknown
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The base of every error rxtorrent throws: a stable `code`, a `disposition`
 * (what should happen to the peer or the torrent) and structured `details`.
 * Tell errors apart by `name` and `code`, not by message.
 */
export class RxTorrentError extends Error {
  override name = 'RxTorrentError'
  /** A short stable code, e.g. `depth-limit`, `bad-bitfield`. */
  readonly code: string
  readonly disposition: Disposition
  readonly details: Readonly<Record<string, unknown>>
  constructor (code: string, message: string, options: RxTorrentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.disposition = options.disposition ?? 'reject'
    this.details = options.details ?? {}
  }
}

/** Malformed, non-canonical or over-limit bencode. */
export class BencodeError extends RxTorrentError {
  override name = 'BencodeError'
  /** Byte offset in the input where the problem was found. */
  readonly offset: number
  constructor (code: string, message: string, offset: number, options: RxTorrentErrorOptions = {}) {
    super(code, `${message} at byte ${offset}`, { disposition: 'reject', ...options, details: { offset, ...options.details } })
    this.offset = offset
  }
}

/** A .torrent (or metadata) that is well-formed bencode but not valid metainfo. */
export class MetainfoError extends RxTorrentError {
  override name = 'MetainfoError'
}

/** A file path from metainfo that cannot be made safe. */
export class PathError extends RxTorrentError {
  override name = 'PathError'
}

/** A magnet URI that cannot be parsed. */
export class MagnetError extends RxTorrentError {
  override name = 'MagnetError'
}

/** A peer broke the wire protocol. */
export class ProtocolError extends RxTorrentError {
  override name = 'ProtocolError'
  constructor (code: string, message: string, options: RxTorrentErrorOptions = {}) {
    super(code, message, { disposition: 'disconnect', ...options })
  }
}

/** The handshake failed: wrong protocol string, unknown info-hash, ourselves. */
export class HandshakeError extends ProtocolError {
  override name = 'HandshakeError'
}

/** A peer went quiet for too long. */
export class TimeoutError extends RxTorrentError {
  override name = 'TimeoutError'
  constructor (code: string, message: string, options: RxTorrentErrorOptions = {}) {
    super(code, message, { disposition: 'disconnect', ...options })
  }
}

/** A piece did not match its hash. */
export class HashMismatchError extends RxTorrentError {
  override name = 'HashMismatchError'
  readonly piece: number
  constructor (piece: number, options: RxTorrentErrorOptions = {}) {
    super('hash-mismatch', `piece ${piece} failed its hash check`, { disposition: 'ignore', ...options, details: { piece, ...options.details } })
    this.piece = piece
  }
}

/** Reading or writing torrent data failed. */
export class StorageError extends RxTorrentError {
  override name = 'StorageError'
  constructor (code: string, message: string, options: RxTorrentErrorOptions = {}) {
    super(code, message, { disposition: 'fatal', ...options })
  }
}

/** A user-supplied argument is invalid (CLI flags, options). */
export class UsageError extends RxTorrentError {
  override name = 'UsageError'
}

/** True when `e` is one of our typed errors. */
export function isRxTorrentError (e: unknown): e is RxTorrentError {
  return e instanceof RxTorrentError
}
