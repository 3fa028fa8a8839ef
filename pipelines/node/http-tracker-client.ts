/**
 * HTTP(S) tracker client over `node:http`/`node:https`: one GET per announce
 * or scrape, gzip and deflate bodies inflated under a size cap, redirects
 * followed under the tracker URL policy, one deadline for the whole exchange.
 * @see BEP 3, BEP 23, BEP 31, BEP 48; ADVERSARIAL E49, E51
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { createGunzip, createInflate } from 'node:zlib'
import { buildAnnounceUrl, buildScrapeUrl, parseAnnounceResponse, parseScrapeResponse, scrapeUrlOf } from '../../lib/tracker/http-codec.js'
import { TRACKER_LIMITS } from '../../lib/tracker/limits.js'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from '../../lib/tracker/types.js'
import { checkRedirect, checkTrackerUrl, classifyHost, parseTrackerUrl, type AddressClass, type LocalRedirectPolicy, type TrackerUrl } from '../../lib/tracker-client/url-policy.js'

/** Options of the HTTP tracker client. */
export interface HttpTrackerOptions {
  /** Deadline for the whole exchange, redirects included. Default 15 s. */
  readonly timeoutMs?: number
  /** Largest body accepted, after decompression. Default 1 MiB (`TRACKER_LIMITS.maxResponseBytes`). */
  readonly maxResponseBytes?: number
  /** Redirects followed. Default 5. */
  readonly maxRedirects?: number
  /** Allow trackers on loopback hosts. Default true (see the URL policy in lib/tracker-client/url-policy.ts). */
  readonly allowLoopback?: boolean
  /** Where a loopback or private tracker may redirect (URL policy rule 4). Default `'follow'`. */
  readonly redirectsFromLocal?: LocalRedirectPolicy
  /** `User-Agent` header. Default `rxtorrent`. */
  readonly userAgent?: string
  /** Host name resolution, `node:dns` `lookup` by default (replaceable in tests). */
  readonly lookup?: LookupFunction
  readonly signal?: AbortSignal
}

/** Defaults of {@link HttpTrackerOptions}. */
export const HTTP_TRACKER_DEFAULTS = { timeoutMs: 15_000, maxRedirects: 5, maxResponseBytes: TRACKER_LIMITS.maxResponseBytes } as const

/** A response body and its status. */
export interface HttpTrackerReply {
  readonly status: number
  readonly body: Uint8Array
}

/**
 * GET `url` as a tracker request: follows redirects (each hop checked by the
 * URL policy, the resolved address of every host name too), inflates gzip
 * and deflate, and stops reading at `maxResponseBytes`.
 * @throws TrackerError `bad-url`, `refused` (policy), `redirect-loop` (a URL
 *   seen twice in the chain, or more than `maxRedirects` hops), `too-large`,
 *   `timeout`, `bad-response` (connection or HTTP parse errors, broken
 *   compression); rejects with `signal.reason` when aborted
 */
export async function httpTrackerGet (url: string, options: HttpTrackerOptions = {}): Promise<HttpTrackerReply> {
  const signal = options.signal
  if (signal?.aborted === true) throw signal.reason
  const timeoutMs = options.timeoutMs ?? HTTP_TRACKER_DEFAULTS.timeoutMs
  const maxRedirects = options.maxRedirects ?? HTTP_TRACKER_DEFAULTS.maxRedirects
  let target = parseTrackerUrl(url)
  if (target.scheme === 'udp') throw new TrackerError('bad-url', 'not an HTTP tracker URL', { disposition: 'reject' })
  checkTrackerUrl(target, options)
  const ac = new AbortController()
  const timer = setTimeout(() => { ac.abort(new TrackerError('timeout', `tracker did not answer within ${timeoutMs} ms`, { details: { url } })) }, timeoutMs)
  const onAbort = (): void => { ac.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const chain = { origin: classifyHost(target.host) as AddressClass | undefined, first: true }
    const seen = new Set<string>([url])
    let current = url
    for (let hop = 0; ; hop++) {
      const reply = await getOnce(current, target, chain, options, ac.signal)
      chain.first = false
      if (reply.kind === 'body') return reply
      if (hop >= maxRedirects) throw new TrackerError('redirect-loop', `more than ${maxRedirects} redirects`, { details: { url } })
      const next = resolveLocation(reply.location, current)
      if (seen.has(next)) throw new TrackerError('redirect-loop', `redirect loop at ${next}`, { details: { url } })
      seen.add(next)
      target = checkRedirect(chain.origin, next, options)
      current = next
    }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Announce to an HTTP tracker.
 * @throws TrackerError as {@link httpTrackerGet}, `failure` (the tracker's
 *   reason, with BEP 31 `retryIn`), `bad-response` (bad bencode, or an HTTP
 *   error status without a failure reason)
 * @see BEP 3, BEP 23, BEP 31
 */
export async function httpAnnounce (url: string, req: AnnounceRequest, options: HttpTrackerOptions = {}): Promise<AnnounceResponse> {
  const reply = await httpTrackerGet(buildAnnounceUrl(url, req), options)
  return parseReply(reply, bytes => parseAnnounceResponse(bytes, maxBytes(options)))
}

/**
 * Scrape an HTTP tracker given its announce URL (BEP 48 naming rule).
 * @throws TrackerError `bad-url` when the announce URL has no scrape
 *   counterpart, and as {@link httpAnnounce}
 * @see BEP 48
 */
export async function httpScrape (announceUrl: string, infoHashes: readonly Uint8Array[], options: HttpTrackerOptions = {}): Promise<ScrapeResponse> {
  const scrapeUrl = scrapeUrlOf(announceUrl)
  if (scrapeUrl === undefined) throw new TrackerError('bad-url', 'this tracker cannot be scraped (its path does not end in announce)', { details: { url: announceUrl } })
  const reply = await httpTrackerGet(buildScrapeUrl(scrapeUrl, infoHashes), options)
  return parseReply(reply, bytes => parseScrapeResponse(bytes, maxBytes(options)))
}

function maxBytes (options: HttpTrackerOptions): { maxResponseBytes: number } {
  return { maxResponseBytes: options.maxResponseBytes ?? HTTP_TRACKER_DEFAULTS.maxResponseBytes }
}

/** A body with an error status is still read for a `failure reason` (BEP 31 trackers send one with 4xx/5xx). */
function parseReply<T> (reply: HttpTrackerReply, parse: (bytes: Uint8Array) => T): T {
  if (reply.status === 200) return parse(reply.body)
  try {
    parse(reply.body)
  } catch (e) {
    if (e instanceof TrackerError && e.code === 'failure') throw e
  }
  throw new TrackerError('bad-response', `tracker answered HTTP ${reply.status}`, { details: { status: reply.status } })
}

function resolveLocation (location: string, base: string): string {
  try {
    return new URL(location, base).toString()
  } catch (cause) {
    throw new TrackerError('bad-url', 'unusable redirect location', { cause, disposition: 'reject' })
  }
}

type Hop = { readonly kind: 'body', readonly status: number, readonly body: Uint8Array } | { readonly kind: 'redirect', readonly location: string }

async function getOnce (url: string, target: TrackerUrl, chain: { origin: AddressClass | undefined, first: boolean }, options: HttpTrackerOptions, signal: AbortSignal): Promise<Hop> {
  const limit = options.maxResponseBytes ?? HTTP_TRACKER_DEFAULTS.maxResponseBytes
  const base = options.lookup ?? (dnsLookup as unknown as LookupFunction)
  const first = chain.first
  /** Check the address a host name resolves to before connecting to it. */
  const lookup: LookupFunction = (hostname, opts, callback) => {
    base(hostname, opts, (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
      if (err !== null) { callback(err, address as string, family); return }
      const list = Array.isArray(address) ? address.map(a => a.address) : [address]
      try {
        for (const a of list) {
          if (first) checkTrackerUrl(target, options, a)
          else checkRedirect(chain.origin, url, options, a)
        }
        if (first && list[0] !== undefined) chain.origin = classifyHost(list[0])
      } catch (e) {
        callback(e as NodeJS.ErrnoException, '', 4)
        return
      }
      callback(null, address as string, family)
    })
  }
  const request = target.scheme === 'https' ? httpsRequest : httpRequest
  return await new Promise<Hop>((resolve, reject) => {
    let done = false
    const finish = (err: unknown, hop?: Hop): void => {
      if (done) return
      done = true
      signal.removeEventListener('abort', onAbort)
      req.destroy()
      if (hop !== undefined) resolve(hop)
      else reject(err)
    }
    const onAbort = (): void => { finish(signal.reason) }
    const req = request(url, {
      method: 'GET',
      agent: false,
      lookup,
      headers: { 'accept-encoding': 'gzip, deflate', 'user-agent': options.userAgent ?? 'rxtorrent', connection: 'close' }
    })
    signal.addEventListener('abort', onAbort, { once: true })
    req.on('error', (e) => { finish(e instanceof TrackerError ? e : new TrackerError('bad-response', `tracker request failed: ${e.message}`, { cause: e })) })
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      const location = res.headers.location
      if (status >= 300 && status < 400 && location !== undefined) {
        res.resume()
        finish(undefined, { kind: 'redirect', location })
        return
      }
      readBody(res, limit).then(body => { finish(undefined, { kind: 'body', status, body }) }, finish)
    })
    req.end()
  })
}

/** Read a response body, inflating gzip/deflate, failing as soon as `limit` bytes would be exceeded. */
async function readBody (res: IncomingMessage, limit: number): Promise<Uint8Array> {
  const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase().trim()
  const declared = Number(res.headers['content-length'])
  const tooLarge = (): TrackerError => new TrackerError('too-large', `tracker response larger than ${limit} bytes`, { details: { limit } })
  if (encoding === 'identity' && Number.isFinite(declared) && declared > limit) {
    res.destroy()
    throw tooLarge()
  }
  let stream: NodeJS.ReadableStream = res
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    const inflate = encoding === 'deflate' ? createInflate() : createGunzip()
    res.on('error', (e) => { inflate.destroy(e) })
    stream = res.pipe(inflate)
  } else if (encoding !== 'identity') {
    res.destroy()
    throw new TrackerError('bad-response', `unsupported content encoding ${encoding.slice(0, 40)}`)
  }
  const chunks: Buffer[] = []
  let total = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > limit) throw tooLarge()
      chunks.push(chunk)
    }
  } catch (e) {
    res.destroy()
    if (e instanceof TrackerError) throw e
    throw new TrackerError('bad-response', `tracker response unreadable: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  return Buffer.concat(chunks, total)
}
