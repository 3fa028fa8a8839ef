/**
 * BEP 19 web seeding: blocks fetched from an HTTP(S) server with `Range`
 * requests, pulled one batch at a time by the consumer.
 * @see BEP 19, BEP 47
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { BEP3 } from '../../lib/constants.js'
import { UsageError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { BlockRef } from '../../lib/pieces/geometry.js'
import { planRanges, type RangeRequest } from '../../lib/webseed/range-plan.js'
import { WebSeedError } from '../../lib/webseed/web-seed-error.js'
import { webSeedFileUrl } from '../../lib/webseed/web-seed-url.js'
import type { WebSeedFetchOptions } from '../web-seed-sources.js'

/** One block received from a web seed, shaped like a `piece` message from a peer. */
export interface WebSeedBlock {
  /** The web seed's key, as given in the options. */
  readonly peer: string
  readonly index: number
  readonly begin: number
  readonly block: Uint8Array
}

/** Options of {@link webSeedBlocks}. */
export interface WebSeedOptions extends Omit<WebSeedFetchOptions, 'onWarning' | 'signal'> {
  /** Blocks asked of `next` at once. Default one piece's worth, at most 256. */
  readonly maxBlocksPerRequest?: number
  /** Deadline for one HTTP request, body included. Default 30 s. */
  readonly timeoutMs?: number
  /** Largest body read for a `200` (whole file) answer. Default 16 MiB. */
  readonly maxResponseBytes?: number
  /** Wait before the next attempt after `failures` consecutive failures. Default 1 s doubling, at most 60 s. */
  readonly retryDelayMs?: (failures: number) => number
  /** Consecutive failures after which the web seed is given up. Default 5. */
  readonly maxFailures?: number
  /** Wait before asking `next` again when it returned `[]`. Default 1 s. */
  readonly idleDelayMs?: number
  /** HTTP agent (keep-alive, socket limits); the default global agent when absent. */
  readonly agent?: Agent
  /** Told why a request failed and why the web seed was given up. */
  readonly onWarning?: (message: string) => void
  readonly signal?: AbortSignal
}

/** Defaults of {@link WebSeedOptions}. */
export const WEB_SEED_DEFAULTS = {
  maxBlocksPerRequest: 256,
  timeoutMs: 30_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxFailures: 5,
  idleDelayMs: 1000
} as const

/** Codes after which the web seed is given up at once. */
const FATAL = new Set(['gone', 'bad-url'])

/**
 * Blocks from one BEP 19 web seed. Each pull asks `next` for blocks, fetches
 * them with one `GET` with `Range: bytes=start-end` per file segment of each
 * contiguous run (padding files are not fetched: their bytes are zeros), and
 * yields the blocks in torrent order. A `206` must carry the matching
 * `Content-Range`; a `200` is accepted only when its body is exactly the
 * whole file (and the file is at most `maxResponseBytes`). Any other answer,
 * a body longer or shorter than asked (reading stops at the first extra
 * byte), a network error or the `timeoutMs` deadline counts as a failure:
 * the batch is released and retried after `retryDelayMs`.
 *
 * Backpressure: nothing is fetched until the consumer pulls, and at most one
 * batch of blocks is held. Completion: the iterable ends without throwing
 * when `signal` aborts (an idle wait or a request in flight is cut short,
 * its blocks released), on a `404` or `410`, on an unusable URL, or after
 * `maxFailures` consecutive failures; each reason goes to `onWarning`. When
 * the consumer stops early, the blocks it did not receive are released.
 * @throws UsageError `bad-option` for invalid numeric options, `bad-block`
 *   (from planning) when `next` returns a block that is not part of the torrent
 * @see BEP 19
 */
export async function * webSeedBlocks (options: WebSeedOptions): AsyncGenerator<WebSeedBlock, void, undefined> {
  const { torrent, signal } = options
  const perPiece = Math.ceil(torrent.pieceLength / BEP3.BLOCK_SIZE)
  const maxBlocks = positive('maxBlocksPerRequest', options.maxBlocksPerRequest ?? Math.min(WEB_SEED_DEFAULTS.maxBlocksPerRequest, Math.max(1, perPiece)))
  const maxFailures = positive('maxFailures', options.maxFailures ?? WEB_SEED_DEFAULTS.maxFailures)
  const idleDelayMs = options.idleDelayMs ?? WEB_SEED_DEFAULTS.idleDelayMs
  const retryDelayMs = options.retryDelayMs ?? ((n: number) => Math.min(60_000, 1000 * 2 ** (n - 1)))
  const warn = (m: string): void => options.onWarning?.(`web seed ${options.url}: ${m}`)
  const fetchOptions: FetchOptions = {
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? WEB_SEED_DEFAULTS.timeoutMs),
    maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes ?? WEB_SEED_DEFAULTS.maxResponseBytes),
    agent: options.agent,
    signal
  }
  let failures = 0
  while (signal?.aborted !== true) {
    const refs = options.next(maxBlocks)
    if (refs.length === 0) {
      await sleep(idleDelayMs, signal)
      continue
    }
    let blocks: Map<BlockRef, Uint8Array> | WebSeedError
    try {
      blocks = await fetchBlocks(options.url, torrent, refs, fetchOptions)
    } catch (e) {
      options.release(refs)
      throw e
    }
    if (blocks instanceof WebSeedError) {
      options.release(refs)
      if (isAborted(signal)) return
      failures++
      if (FATAL.has(blocks.code) || failures >= maxFailures) {
        warn(`${blocks.message}; giving up after ${failures} consecutive failure(s)`)
        return
      }
      warn(`${blocks.message}; retrying (failure ${failures} of ${maxFailures})`)
      await sleep(retryDelayMs(failures), signal)
      continue
    }
    failures = 0
    let delivered = 0
    try {
      for (const ref of refs) {
        if (isAborted(signal)) return
        const block = blocks.get(ref) ?? new Uint8Array(ref.length)
        delivered++
        yield { peer: options.key, index: ref.index, begin: ref.begin, block }
      }
    } finally {
      if (delivered < refs.length) options.release(refs.slice(delivered))
    }
  }
}

interface FetchOptions {
  readonly timeoutMs: number
  readonly maxResponseBytes: number
  readonly agent: Agent | undefined
  readonly signal: AbortSignal | undefined
}

/** Fetch every range of a batch in turn; the blocks by ref, or the first failure. */
async function fetchBlocks (base: string, torrent: Torrent, refs: readonly BlockRef[], o: FetchOptions): Promise<Map<BlockRef, Uint8Array> | WebSeedError> {
  const plan = planRanges(torrent, refs)
  const blocks = new Map<BlockRef, Uint8Array>()
  for (const ref of refs) blocks.set(ref, new Uint8Array(ref.length))
  for (const range of plan) {
    const file = torrent.files[range.file]
    if (file === undefined) return new WebSeedError('bad-url', `no file ${range.file}`)
    const error = await fetchRange(webSeedFileUrl(base, torrent, range.file), range, file.length, blocks, o)
    if (error !== undefined) return error
  }
  return blocks
}

const CONTENT_RANGE = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i

/**
 * One `GET` with a `Range` header, copying the body straight into the blocks
 * of `range.parts`; resolves to `undefined` on success or the failure (never rejects).
 */
function fetchRange (url: string, range: RangeRequest, fileLength: number, blocks: Map<BlockRef, Uint8Array>, o: FetchOptions): Promise<WebSeedError | undefined> {
  return new Promise((resolve) => {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      resolve(new WebSeedError('bad-url', `unparsable URL ${url}`, { disposition: 'disconnect' }))
      return
    }
    const request = target.protocol === 'http:' ? httpRequest : target.protocol === 'https:' ? httpsRequest : undefined
    if (request === undefined) {
      resolve(new WebSeedError('bad-url', `unsupported scheme ${target.protocol}`, { disposition: 'disconnect' }))
      return
    }
    let done = false
    let req: ClientRequest | undefined
    const finish = (error?: WebSeedError): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      if (error !== undefined) req?.destroy()
      resolve(error)
    }
    const fail = (code: string, message: string, cause?: unknown): void => {
      finish(new WebSeedError(code, `${message} (${url}, bytes ${range.start}-${range.end})`, {
        disposition: code === 'gone' ? 'disconnect' : 'ignore',
        cause,
        details: { url, start: range.start, end: range.end }
      }))
    }
    const onAbort = (): void => fail('aborted', 'aborted')
    const timer = setTimeout(() => fail('timeout', `no complete answer within ${o.timeoutMs} ms`), o.timeoutMs)
    if (o.signal?.aborted === true) { onAbort(); return }
    o.signal?.addEventListener('abort', onAbort, { once: true })
    req = request(target, {
      method: 'GET',
      agent: o.agent,
      headers: { Range: `bytes=${range.start}-${range.end}`, 'Accept-Encoding': 'identity', 'User-Agent': 'rxtorrent' }
    })
    req.on('error', (e) => fail('network', e.message, e))
    req.on('response', (res) => onResponse(res))
    req.end()

    function onResponse (res: IncomingMessage): void {
      const status = res.statusCode ?? 0
      let skip: number
      let expected: number
      if (status === 404 || status === 410) return fail('gone', `HTTP ${status}`)
      if (status === 206) {
        const m = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? '').trim())
        if (m === null || Number(m[1]) !== range.start || Number(m[2]) !== range.end || (m[3] !== '*' && Number(m[3]) !== fileLength)) {
          return fail('bad-content-range', `Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)} does not match the request`)
        }
        skip = 0
        expected = range.end - range.start + 1
      } else if (status === 200) {
        if (fileLength > o.maxResponseBytes) return fail('too-large', `HTTP 200 for a file of ${fileLength} bytes, over ${o.maxResponseBytes}`)
        skip = range.start
        expected = fileLength
      } else {
        return fail('bad-status', `HTTP ${status}`)
      }
      const encoding = res.headers['content-encoding']
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return fail('bad-encoding', `unexpected Content-Encoding ${encoding}`)
      const declared = res.headers['content-length']
      if (declared !== undefined && Number(declared) !== expected) return fail('bad-length', `Content-Length ${declared}, expected ${expected}`)
      let pos = 0
      let part = 0
      res.on('data', (chunk: Uint8Array) => {
        if (done) return
        if (pos + chunk.length > expected) return fail('too-long', `body longer than ${expected} bytes`)
        part = copyChunk(chunk, pos - skip, range, blocks, part)
        pos += chunk.length
      })
      res.on('end', () => {
        if (pos === expected) finish()
        else fail('short-body', `body of ${pos} bytes, expected ${expected}`)
      })
      res.on('error', (e) => fail('network', e.message, e))
      res.on('aborted', () => fail('network', 'response aborted'))
    }
  })
}

/**
 * Copy the bytes of `chunk`, which starts at `from` within the range's body
 * (negative while still before the range, for a `200`), into the parts they
 * belong to, starting at part `part`; returns the first part not yet filled.
 */
function copyChunk (chunk: Uint8Array, from: number, range: RangeRequest, blocks: Map<BlockRef, Uint8Array>, part: number): number {
  const to = from + chunk.length
  while (part < range.parts.length) {
    const p = range.parts[part] as RangeRequest['parts'][number]
    const pStart = p.fileOffsetInRange
    const pEnd = pStart + p.length
    if (pEnd <= from) { part++; continue }
    if (pStart >= to) break
    const s = Math.max(from, pStart)
    const e = Math.min(to, pEnd)
    blocks.get(p.ref)?.set(chunk.subarray(s - from, e - from), p.blockOffset + (s - pStart))
    if (e < pEnd) break
    part++
  }
  return part
}

/** Wait `ms`, or less when `signal` aborts; never rejects. */
function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) { resolve(); return }
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, Math.max(0, ms))
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Read through a call so a narrowed `aborted` is read again. */
function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

function positive (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError('bad-option', `${name} must be a positive number`, { details: { [name]: value } })
  return value
}
