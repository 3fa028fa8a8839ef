/**
 * The session's rate limits with each torrent's beneath (lib/session
 * SessionBandwidth), driven through the `rateLimit` operator under a
 * virtual clock: connections that go flat out share the session's rate,
 * and a torrent's own limit holds too.
 */
import { describe, expect, it } from 'vitest'
import { VirtualTimeScheduler } from 'rxjs'
import { UsageError } from '../../../lib/errors.js'
import { SessionBandwidth } from '../../../lib/session/session-bandwidth.js'
import type { TokenBucket } from '../../../lib/stats/token-bucket.js'
import { rateLimit } from '../../../operators/rate-limit.js'

const KiB = 1024
const BLOCK = 16 * KiB + 13

const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/** Advance virtual time one due instant at a time until `ms`, letting async code run in between. */
async function runFor (ms: number, scheduler: VirtualTimeScheduler): Promise<void> {
  for (let guard = 0; guard < 100_000; guard++) {
    await settle()
    const next = scheduler.actions[0]
    if (next === undefined || next.delay > ms) { scheduler.maxFrames = ms; scheduler.flush(); return }
    scheduler.maxFrames = next.delay
    scheduler.flush()
  }
  throw new Error('did not finish')
}

/** A connection sending piece messages as fast as `buckets` let it; `bytes()` counts those sent. */
function flatOut (buckets: readonly TokenBucket[], scheduler: VirtualTimeScheduler, signal: AbortSignal): { bytes: () => number } {
  let sent = 0
  const source = (async function * () { while (true) yield new Uint8Array(BLOCK) })()
  void (async () => {
    for await (const b of rateLimit(buckets, { scheduler, signal })(source)) sent += b.byteLength
  })().catch(() => {})
  return { bytes: () => sent }
}

describe('SessionBandwidth: session bucket, torrent buckets beneath, connections', () => {
  const X = 256 * KiB
  const SECONDS = 30

  it('two torrents going flat out under a session upload limit X share it: each about X/2, the total at most X (plus one burst)', async () => {
    const scheduler = new VirtualTimeScheduler()
    const ac = new AbortController()
    const bw = new SessionBandwidth({ uploadLimit: X })
    const a = flatOut(bw.torrent().upload, scheduler, ac.signal)
    const b = flatOut(bw.torrent().upload, scheduler, ac.signal)
    await runFor(SECONDS * 1000, scheduler)
    ac.abort()
    const total = a.bytes() + b.bytes()
    expect(total).toBeLessThanOrEqual(X * SECONDS + bw.upload.burst + 2 * BLOCK)
    expect(total).toBeGreaterThan(X * SECONDS * 0.95)
    for (const t of [a, b]) expect(Math.abs(t.bytes() / SECONDS - X / 2)).toBeLessThan(X * 0.05)
  })

  it('the session rate is shared per connection: three busy peers of one torrent against one of another get about three quarters', async () => {
    const scheduler = new VirtualTimeScheduler()
    const ac = new AbortController()
    const bw = new SessionBandwidth({ uploadLimit: X })
    const busy = bw.torrent().upload
    const three = [0, 1, 2].map(() => flatOut(busy, scheduler, ac.signal))
    const one = flatOut(bw.torrent().upload, scheduler, ac.signal)
    await runFor(SECONDS * 1000, scheduler)
    ac.abort()
    const threeBytes = three.reduce((n, p) => n + p.bytes(), 0)
    const share = threeBytes / (threeBytes + one.bytes())
    expect(share).toBeGreaterThan(0.7)
    expect(share).toBeLessThan(0.8)
    expect(threeBytes + one.bytes()).toBeLessThanOrEqual(X * SECONDS + bw.upload.burst + 4 * BLOCK)
  })

  it('a torrent with its own limit beneath keeps to it; the other takes the rest of the session rate', async () => {
    const scheduler = new VirtualTimeScheduler()
    const ac = new AbortController()
    const bw = new SessionBandwidth({ uploadLimit: X })
    const slow = bw.torrent({ uploadLimit: X / 4 })
    const slowPeers = [flatOut(slow.upload, scheduler, ac.signal), flatOut(slow.upload, scheduler, ac.signal)]
    const fast = flatOut(bw.torrent().upload, scheduler, ac.signal)
    await runFor(SECONDS * 1000, scheduler)
    ac.abort()
    const slowBytes = slowPeers.reduce((n, p) => n + p.bytes(), 0)
    expect(slowBytes).toBeLessThanOrEqual(X / 4 * SECONDS + X / 4 + 2 * BLOCK)
    expect(slowBytes / SECONDS).toBeGreaterThan(X / 4 * 0.9)
    expect(slowBytes + fast.bytes()).toBeLessThanOrEqual(X * SECONDS + bw.upload.burst + 3 * BLOCK)
    expect(fast.bytes() / SECONDS).toBeGreaterThan(X * 3 / 4 * 0.9)
  })

  it('a torrent limit alone (no session limit) holds; the download side is separate', async () => {
    const scheduler = new VirtualTimeScheduler()
    const ac = new AbortController()
    const bw = new SessionBandwidth({ downloadLimit: X })
    const t = bw.torrent({ uploadLimit: X / 8 })
    const up = flatOut(t.upload, scheduler, ac.signal)
    const down = flatOut(t.download, scheduler, ac.signal)
    await runFor(SECONDS * 1000, scheduler)
    ac.abort()
    expect(up.bytes() / SECONDS).toBeGreaterThan(X / 8 * 0.9)
    expect(up.bytes()).toBeLessThanOrEqual(X / 8 * (SECONDS + 1) + 2 * BLOCK)
    expect(down.bytes() / SECONDS).toBeGreaterThan(X * 0.9)
    expect(down.bytes()).toBeLessThanOrEqual(X * (SECONDS + 1) + 2 * BLOCK)
  })

  it('setLimits changes the session rate from then on, for connections already running', async () => {
    const scheduler = new VirtualTimeScheduler()
    const ac = new AbortController()
    const bw = new SessionBandwidth({ uploadLimit: X })
    const a = flatOut(bw.torrent().upload, scheduler, ac.signal)
    await runFor(10_000, scheduler)
    const before = a.bytes()
    bw.setLimits({ uploadLimit: X / 4 }, scheduler.now())
    await runFor(30_000, scheduler)
    ac.abort()
    const after = (a.bytes() - before) / 20
    expect(after).toBeGreaterThan(X / 4 * 0.9)
    expect(after).toBeLessThan(X / 4 * 1.15)
  })

  it('a negative or NaN limit is a UsageError bad-rate', () => {
    expect(() => new SessionBandwidth({ uploadLimit: -1 })).toThrow(UsageError)
    expect(() => new SessionBandwidth().torrent({ downloadLimit: Number.NaN })).toThrow(expect.objectContaining({ code: 'bad-rate' }))
    expect(() => { new SessionBandwidth().setLimits({ uploadLimit: Infinity }, 0) }).toThrow(expect.objectContaining({ code: 'bad-rate' }))
  })
})
