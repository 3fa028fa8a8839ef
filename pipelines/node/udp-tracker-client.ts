/**
 * UDP tracker client over `node:dgram`: connect, then announce or scrape, with
 * BEP 15 retransmission, connection ids cached per tracker address, random
 * transaction ids, and strict matching of every reply.
 * @see BEP 15, BEP 41; ADVERSARIAL E48, E50, E51
 */
import { randomInt } from 'node:crypto'
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { lookup as dnsLookup } from 'node:dns/promises'
import { toHex } from '../../lib/magnet/info-hash.js'
import { normalizeIp, formatIp } from '../../lib/tracker/ip-address.js'
import { TRACKER_LIMITS } from '../../lib/tracker/limits.js'
import { TrackerError } from '../../lib/tracker/tracker-error.js'
import type { Datagram, TransactionDatagrams } from '../../lib/transport/datagram.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import type { AnnounceRequest, AnnounceResponse, ScrapeEntry, ScrapeResponse } from '../../lib/tracker/types.js'
import { decodeUdpResponse, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest, type UdpResponse } from '../../lib/tracker/udp-codec.js'
import { checkTrackerUrl, parseTrackerUrl, type TrackerUrl } from '../../lib/tracker-client/url-policy.js'

/** A clock and timers, replaceable so tests can run the retransmission schedule in virtual time. */
export interface TimerSource {
  /** Milliseconds, as `Date.now`. */
  now: () => number
  /** Call `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout: (fn: () => void, ms: number) => unknown
  /** Cancel a `setTimeout`. */
  clearTimeout: (handle: unknown) => void
}

/** The process clock and timers. */
export const realTimers: TimerSource = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => { clearTimeout(h as ReturnType<typeof setTimeout>) }
}

/** Options of {@link udpTrackerClient}. */
export interface UdpTrackerOptions {
  /** First wait for a reply; the n-th retransmission waits `base · 2^n`. Default 15 s (BEP 15). */
  readonly retransmitBaseMs?: number
  /** Largest n; after the wait of `base · 2^maxRetransmit` the request fails with `timeout`. Default 8 (BEP 15). */
  readonly maxRetransmit?: number
  /** How long a connection id is reused. Default 60 s (BEP 15). */
  readonly connectionIdTtlMs?: number
  /** Allow trackers on loopback hosts. Default true. */
  readonly allowLoopback?: boolean
  /** Most peers kept from one reply. Default `TRACKER_LIMITS.maxPeersPerResponse`. */
  readonly maxPeers?: number
  /** Host name resolution. Default `node:dns` `lookup`. */
  readonly lookup?: (host: string) => Promise<{ address: string, family: number }>
  /** Default: the process clock and timers. */
  readonly timers?: TimerSource
  /** Transaction ids; default `node:crypto` `randomInt`. */
  readonly transactionId?: () => number
  /**
   * A shared socket to send every request through (a session's, see
   * `DatagramDemux.tracker`) instead of a socket per request. It is not
   * closed by {@link UdpTrackerClient.close}. An unconnected socket sees no
   * ICMP errors, so an unreachable tracker fails by timeout only.
   */
  readonly datagrams?: TransactionDatagrams
}

/**
 * A UDP tracker client. Standalone, each request (connect, then announce or
 * scrape) runs on its own socket connected to the tracker, so the kernel
 * drops datagrams from anyone else and an ICMP port-unreachable fails the
 * request at once (TrackerError `unreachable`) instead of after the
 * retransmission schedule. In a session, requests share the session's socket
 * (`UdpTrackerOptions.datagrams`).
 */
export interface UdpTrackerClient {
  /**
   * Announce to `udp://host:port[/path?query]` (path and query sent as BEP 41 URL data).
   * @throws TrackerError `bad-url`, `refused` (URL policy), `failure` (an
   *   error reply, with its message), `timeout` (no reply after the last
   *   retransmission), `closed`; rejects with `signal.reason` when aborted
   */
  announce: (url: string, req: AnnounceRequest, options?: { signal?: AbortSignal }) => Promise<AnnounceResponse>
  /**
   * Scrape up to 74 info-hashes per packet (more are split into several requests).
   * @throws as {@link UdpTrackerClient.announce}
   */
  scrape: (url: string, infoHashes: readonly Uint8Array[], options?: { signal?: AbortSignal }) => Promise<ScrapeResponse>
  /** Close the client's own sockets (never a shared one); pending requests fail with TrackerError `closed`. */
  close: () => Promise<void>
}

interface Target { readonly url: TrackerUrl, readonly address: string, readonly family: 4 | 6, readonly key: string }
/** One request's way to its tracker: a socket of its own, or two transaction ids on a shared one. */
interface Link { readonly connectTid: number, readonly requestTid: number, readonly send: (packet: Uint8Array) => void, readonly close: () => void }
interface Waiter { readonly target: Target, readonly link: Link, readonly expect: UdpResponse['action'], readonly resolve: (r: UdpResponse) => void, readonly reject: (e: unknown) => void }

/**
 * Create a UDP tracker client. Replies are ignored unless they come from the
 * address and port the request went to, carry a transaction id we are
 * waiting for, have the expected action (or `error`), and decode (E50); the
 * wait goes on after an ignored reply. With `datagrams` (a session's shared
 * socket) every request goes through it, with transaction ids unique on
 * that socket; without, each request opens a socket connected to its tracker.
 * @see BEP 15, BEP 41
 */
export function udpTrackerClient (options: UdpTrackerOptions = {}): UdpTrackerClient {
  const base = options.retransmitBaseMs ?? 15_000
  const maxN = options.maxRetransmit ?? 8
  const ttl = options.connectionIdTtlMs ?? 60_000
  const timers = options.timers ?? realTimers
  const nextTid = options.transactionId ?? (() => randomInt(0, 0x1_0000_0000))
  const lookup = options.lookup ?? (async (host: string) => await dnsLookup(host, { verbatim: true }))
  const shared = options.datagrams
  const sockets = new Set<Socket>()
  const waiters = new Map<number, Waiter>()
  const connections = new Map<string, { id: bigint, at: number }>()
  let closed = false

  function onMessage (msg: Uint8Array, from: PeerAddress): void {
    if (msg.length < 8) return
    const tid = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(4)
    const w = waiters.get(tid)
    if (w === undefined) return
    if (from.port !== w.target.url.port || canonical(from.host) !== w.target.address) return
    let reply: UdpResponse
    try {
      reply = decodeUdpResponse(msg, { ipv6: w.target.family === 6 })
    } catch {
      return
    }
    if (reply.action !== w.expect && reply.action !== 'error') return
    waiters.delete(tid)
    w.resolve(reply)
  }

  /** Fail every wait of `link` (its socket saw an ICMP error, or a send failed). */
  function failLink (link: Link, target: Target, e: unknown): void {
    const code = (e as NodeJS.ErrnoException | undefined)?.code
    const error = new TrackerError('unreachable', `udp tracker ${target.key} is unreachable (${code ?? (e instanceof Error ? e.message : String(e))})`, { cause: e, details: { tracker: target.key } })
    for (const w of [...waiters.values()]) if (w.link === link) w.reject(error)
  }

  /** A socket connected to `target` for one transaction; an ICMP error on it fails that transaction's wait. */
  async function connectedLink (target: Target): Promise<Link> {
    if (closed) throw closedError()
    const s = createSocket(target.family === 4 ? 'udp4' : 'udp6')
    s.on('message', (msg: Buffer, rinfo: RemoteInfo) => { onMessage(msg, { host: rinfo.address, port: rinfo.port }) })
    s.unref()
    sockets.add(s)
    const link: Link = { connectTid: freshTid(), requestTid: freshTid(), send: (packet) => { s.send(packet) }, close: () => { closeSocket(s) } }
    s.on('error', (e) => { failLink(link, target, e) })
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => { reject(new TrackerError('unreachable', `cannot reach udp tracker ${target.key}: ${e.message}`, { cause: e })) }
      s.once('error', onError)
      s.connect(target.url.port, target.address, () => { s.off('error', onError); resolve() })
    }).catch((e: unknown) => { closeSocket(s); throw e })
    return link
  }

  /** Two transaction ids on the shared socket; replies come through the demultiplexer. */
  function sharedLink (target: Target, datagrams: TransactionDatagrams): Link {
    if (closed) throw closedError()
    const receive = (d: Datagram): void => { onMessage(d.data, d.from) }
    const tids: number[] = []
    try {
      tids.push(datagrams.claim(nextTid, receive), datagrams.claim(nextTid, receive))
    } catch (cause) {
      for (const tid of tids) datagrams.release(tid)
      throw new TrackerError('bad-request', 'no free transaction id on the shared UDP socket', { cause, disposition: 'fatal' })
    }
    const to = { host: target.address, port: target.url.port }
    const link: Link = {
      connectTid: tids[0] as number,
      requestTid: tids[1] as number,
      send: (packet) => { datagrams.send(packet, to).catch((e: unknown) => { failLink(link, target, e) }) },
      close: () => { for (const tid of tids) datagrams.release(tid) }
    }
    return link
  }

  function closeSocket (s: Socket): void {
    if (!sockets.delete(s)) return
    try { s.close() } catch { /* already closed */ }
  }

  async function resolveTarget (url: string): Promise<Target> {
    const u = parseTrackerUrl(url)
    if (u.scheme !== 'udp') throw new TrackerError('bad-url', 'not a udp:// tracker URL', { disposition: 'reject' })
    checkTrackerUrl(u, options)
    let found: { address: string, family: number }
    try {
      found = await lookup(u.host)
    } catch (cause) {
      throw new TrackerError('bad-url', `cannot resolve ${u.host}`, { cause })
    }
    checkTrackerUrl(u, options, found.address)
    const address = canonical(found.address)
    const family = address.includes(':') ? 6 : 4
    return { url: u, address, family, key: `${family === 6 ? `[${address}]` : address}:${u.port}` }
  }

  /** Send `packet` and wait `ms` for the matching reply; undefined on timeout. */
  async function exchange (target: Target, link: Link, tid: number, packet: Uint8Array, expect: UdpResponse['action'], ms: number, signal?: AbortSignal): Promise<UdpResponse | undefined> {
    if (closed) throw closedError()
    if (signal?.aborted === true) throw signal.reason
    return await new Promise<UdpResponse | undefined>((resolve, reject) => {
      const cleanup = (): void => {
        timers.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (waiters.get(tid) === waiter) waiters.delete(tid)
      }
      const onAbort = (): void => { cleanup(); reject(signal?.reason) }
      const waiter: Waiter = { target, link, expect, resolve: (r) => { cleanup(); resolve(r) }, reject: (e) => { cleanup(); reject(e) } }
      const timer = timers.setTimeout(() => { cleanup(); resolve(undefined) }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
      waiters.set(tid, waiter)
      link.send(packet)
    })
  }

  /** Run one request (with a fresh connection id when needed) under the BEP 15 retransmission schedule. */
  async function transact (url: string, expect: 'announce' | 'scrape', build: (connectionId: bigint, tid: number) => Uint8Array, signal?: AbortSignal): Promise<UdpResponse> {
    const target = await resolveTarget(url)
    const link = shared === undefined ? await connectedLink(target) : sharedLink(target, shared)
    try {
      return await transactOn(target, link, url, expect, build, signal)
    } finally {
      link.close()
    }
  }

  async function transactOn (target: Target, link: Link, url: string, expect: 'announce' | 'scrape', build: (connectionId: bigint, tid: number) => Uint8Array, signal?: AbortSignal): Promise<UdpResponse> {
    const { connectTid, requestTid } = link
    for (let n = 0; n <= maxN; n++) {
      const wait = base * 2 ** n
      let conn = connections.get(target.key)
      if (conn === undefined || timers.now() - conn.at >= ttl) {
        connections.delete(target.key)
        const r = await exchange(target, link, connectTid, encodeConnectRequest(connectTid), 'connect', wait, signal)
        if (r === undefined) continue
        if (r.action === 'error') throw failure(r.message)
        if (r.action !== 'connect') continue
        conn = { id: r.connectionId, at: timers.now() }
        pruneConnections()
        connections.set(target.key, conn)
      }
      const r = await exchange(target, link, requestTid, build(conn.id, requestTid), expect, wait, signal)
      if (r === undefined) continue
      if (r.action === 'error') throw failure(r.message)
      return r
    }
    throw new TrackerError('timeout', `no reply from ${target.key} after ${maxN + 1} attempts`, { details: { url } })
  }

  function freshTid (): number {
    for (let i = 0; i < 64; i++) {
      const tid = nextTid() >>> 0
      if (!waiters.has(tid)) return tid
    }
    throw new TrackerError('bad-request', 'no free transaction id', { disposition: 'fatal' })
  }

  /** Forget expired connection ids once many trackers have been seen. */
  function pruneConnections (): void {
    if (connections.size < 256) return
    const now = timers.now()
    for (const [key, c] of connections) if (now - c.at >= ttl) connections.delete(key)
  }

  return {
    async announce (url, req, opts = {}) {
      const u = parseTrackerUrl(url)
      const urlData = u.pathAndQuery === '' ? undefined : u.pathAndQuery
      const r = await transact(url, 'announce', (cid, tid) => encodeAnnounceRequest(cid, tid, req, urlData === undefined ? {} : { urlData }), opts.signal)
      if (r.action !== 'announce') throw new TrackerError('bad-response', 'unexpected reply')
      const max = options.maxPeers ?? TRACKER_LIMITS.maxPeersPerResponse
      return { interval: r.interval, complete: r.seeders, incomplete: r.leechers, peers: r.peers.slice(0, max) }
    },
    async scrape (url, infoHashes, opts = {}) {
      const files = new Map<string, ScrapeEntry>()
      for (let i = 0; i < infoHashes.length; i += TRACKER_LIMITS.maxScrapeHashes) {
        const batch = infoHashes.slice(i, i + TRACKER_LIMITS.maxScrapeHashes)
        const r = await transact(url, 'scrape', (cid, tid) => encodeScrapeRequest(cid, tid, batch), opts.signal)
        if (r.action !== 'scrape') throw new TrackerError('bad-response', 'unexpected reply')
        r.entries.slice(0, batch.length).forEach((e, j) => { files.set(toHex(batch[j] as Uint8Array), { complete: e.complete, incomplete: e.incomplete, downloaded: e.downloaded }) })
      }
      return { files }
    },
    async close () {
      if (closed) return
      closed = true
      for (const w of [...waiters.values()]) w.reject(closedError())
      waiters.clear()
      for (const s of [...sockets]) closeSocket(s)
    }
  }
}

function canonical (address: string): string {
  const ip = normalizeIp(address)
  return ip === undefined ? address : formatIp(ip.bytes) ?? address
}

function failure (message: string): TrackerError {
  return new TrackerError('failure', message.length > 0 ? message : 'tracker error', { details: { reason: message } })
}

function closedError (): TrackerError {
  return new TrackerError('closed', 'the tracker client was closed')
}
