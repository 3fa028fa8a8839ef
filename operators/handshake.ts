import { asyncScheduler } from 'rxjs'
import type { SchedulerLike } from 'rxjs'
import { LIMITS } from '../lib/constants.js'
import { HandshakeError, TimeoutError, UsageError } from '../lib/errors.js'
import { encodeHandshake } from '../lib/wire/handshake.js'
import { HandshakeReader } from '../lib/wire/handshake-reader.js'
import type { HandshakeReadResult } from '../lib/wire/handshake-reader.js'
import { capabilities } from '../lib/wire/reserved.js'
import type { Capabilities, Handshake } from '../lib/wire/types.js'

/** Options of {@link readHandshake}. */
export interface ReadHandshakeOptions {
  /**
   * Called with the remote info-hash as soon as its 48 bytes are in, before
   * the peer id is read; `false` fails with `unknown-info-hash`. A responder
   * writes its own handshake from here.
   */
  readonly onInfoHash?: (infoHash: Uint8Array) => boolean
  readonly signal?: AbortSignal
}

/**
 * Read exactly the 68-byte handshake from `source`, checking the protocol
 * header byte by byte as it arrives (a wrong pstrlen fails on the first
 * byte). Bytes read past the handshake are not lost: `rest` yields them
 * first, then the remainder of `source`.
 *
 * Cancellation: aborting `signal` rejects with its reason.
 * @throws HandshakeError `bad-protocol` (pstrlen ≠ 19 or a wrong protocol
 *   string), `unknown-info-hash` (`onInfoHash` said no), `truncated-handshake`
 *   (the source ended first); all disconnect.
 * @see BEP 3, ADVERSARIAL C29
 */
export async function readHandshake (source: AsyncIterable<Uint8Array>, options: ReadHandshakeOptions = {}): Promise<{ handshake: Handshake, rest: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]()
  const onInfoHash = options.onInfoHash
  const reader = new HandshakeReader({
    onInfoHash: onInfoHash === undefined
      ? undefined
      : ({ infoHash }) => {
          if (!onInfoHash(infoHash)) {
            throw new HandshakeError('unknown-info-hash', 'the peer asked for an info-hash we do not serve', { details: { infoHash: hex(infoHash) } })
          }
        }
  })
  let result: HandshakeReadResult | undefined
  try {
    while (result === undefined) {
      const r = await nextOrAbort(it, options.signal)
      if (r.done === true) {
        throw new HandshakeError('truncated-handshake', `connection ended after ${reader.received} handshake bytes`, { details: { got: reader.received } })
      }
      result = reader.push(r.value)
    }
  } catch (err) {
    it.return?.()?.catch(() => {})
    throw err
  }
  return { handshake: result.handshake, rest: prepend(result.rest, it) }
}

/**
 * The bytes read ahead, then the rest of `it`: a plain iterator over the
 * source's own (no generator in between, which every chunk of the
 * connection would pass through).
 */
function prepend (ahead: Uint8Array, it: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  let first: Uint8Array | undefined = ahead.length > 0 ? ahead : undefined
  const iterator: AsyncIterator<Uint8Array> = {
    next: () => {
      if (first === undefined) return it.next()
      const value = first
      first = undefined
      return Promise.resolve({ done: false, value })
    },
    return: async () => {
      first = undefined
      return await (it.return?.() ?? Promise.resolve({ done: true as const, value: undefined }))
    }
  }
  return { [Symbol.asyncIterator]: () => iterator }
}

/** The outcome of {@link handshake}. */
export interface HandshakeResult {
  readonly remote: Handshake
  /** Extensions both sides announced. */
  readonly capabilities: Capabilities
  /** The message stream after the handshake, starting with any bytes read ahead. */
  readonly source: AsyncIterable<Uint8Array>
}

/** Options of {@link handshake}. */
export interface HandshakeOptions {
  /** The initiator writes first; the responder reads the info-hash first and answers only if it serves it. */
  readonly role: 'initiator' | 'responder'
  /** The torrent (initiator), or which torrents we serve (responder: a predicate is allowed). */
  readonly infoHash: Uint8Array | ((infoHash: Uint8Array) => boolean)
  readonly peerId: Uint8Array
  /** Our 8 reserved bytes (`makeReserved`). */
  readonly reserved: Uint8Array
  /** Default `LIMITS.handshakeTimeoutMs`. */
  readonly timeoutMs?: number
  /** Clock of the timeout. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike
  readonly signal?: AbortSignal
}

/**
 * Perform the BitTorrent handshake on a fresh connection, in either role.
 * Checks the info-hash (the remote's must be the one we asked for, or one we
 * serve) and refuses a connection to ourselves (the remote peer id equals
 * ours).
 *
 * Time: fails after `timeoutMs` on `scheduler`. Cancellation: aborting
 * `signal` rejects with its reason. Neither closes the connection; the
 * caller does.
 * @throws HandshakeError `bad-protocol`, `unknown-info-hash`,
 *   `truncated-handshake`, `self-connection` (disconnect); TimeoutError
 *   `handshake-timeout` (disconnect); UsageError `initiator-needs-info-hash`
 *   when an initiator is given a predicate.
 * @see BEP 3, ADVERSARIAL C29, C40
 */
export async function handshake (conn: { source: AsyncIterable<Uint8Array>, write: (bytes: Uint8Array) => void }, options: HandshakeOptions): Promise<HandshakeResult> {
  const { role, infoHash, peerId, reserved } = options
  const scheduler = options.scheduler ?? asyncScheduler
  const timeoutMs = options.timeoutMs ?? LIMITS.handshakeTimeoutMs
  const ours = (ih: Uint8Array): Uint8Array => encodeHandshake({ reserved, infoHash: ih, peerId })
  const serves = typeof infoHash === 'function' ? infoHash : (ih: Uint8Array) => equal(ih, infoHash)

  const controller = new AbortController()
  const userSignal = options.signal
  const onUserAbort = (): void => { controller.abort(userSignal?.reason) }
  if (userSignal?.aborted === true) controller.abort(userSignal.reason)
  userSignal?.addEventListener('abort', onUserAbort, { once: true })
  const timer = scheduler.schedule(() => {
    controller.abort(new TimeoutError('handshake-timeout', `no handshake within ${timeoutMs} ms`, { details: { timeoutMs } }))
  }, timeoutMs)
  try {
    if (role === 'initiator') {
      if (typeof infoHash === 'function') throw new UsageError('initiator-needs-info-hash', 'an initiator needs the info-hash of the torrent it dials for')
      conn.write(ours(infoHash))
    }
    const { handshake: remote, rest } = await readHandshake(conn.source, {
      signal: controller.signal,
      onInfoHash: (ih) => {
        if (!serves(ih)) return false
        if (role === 'responder') conn.write(ours(ih))
        return true
      }
    })
    if (equal(remote.peerId, peerId)) {
      throw new HandshakeError('self-connection', 'connected to ourselves (the remote peer id is ours)')
    }
    return { remote, capabilities: capabilities(reserved, remote.reserved), source: rest }
  } finally {
    timer.unsubscribe()
    userSignal?.removeEventListener('abort', onUserAbort)
  }
}

async function nextOrAbort<T> (it: AsyncIterator<T>, signal: AbortSignal | undefined): Promise<IteratorResult<T>> {
  if (signal === undefined) return await it.next()
  if (signal.aborted) throw signal.reason
  return await new Promise<IteratorResult<T>>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    it.next().then(
      (r) => { signal.removeEventListener('abort', onAbort); resolve(r) },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e) }
    )
  })
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function hex (bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
