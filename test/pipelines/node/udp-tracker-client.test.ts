import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'
import { udpTrackerClient, type TimerSource, type UdpTrackerClient } from '../../../pipelines/node/udp-tracker-client.js'

const infoHash = new Uint8Array(20).fill(0xab)
const request: AnnounceRequest = { infoHash, peerId: new Uint8Array(20).fill(0x2d), port: 6881, uploaded: 1, downloaded: 2, left: 3, event: 'started', key: 7 }

/** Timers that only move when the test says so. */
class ManualTimers implements TimerSource {
  private t = 0
  private seq = 0
  private readonly pending = new Map<number, { at: number, fn: () => void }>()
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => { const id = ++this.seq; this.pending.set(id, { at: this.t + ms, fn }); return id }
  clearTimeout = (h: unknown): void => { this.pending.delete(h as number) }
  get scheduled (): number[] { return [...this.pending.values()].map(p => p.at - this.t) }
  advance (ms: number): void {
    const until = this.t + ms
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= until).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      this.pending.delete(due[0])
      this.t = due[1].at
      due[1].fn()
    }
    this.t = until
  }
}

interface Packet { readonly msg: Buffer, readonly from: RemoteInfo, readonly at: number }

/** A scriptable UDP tracker on loopback: packets are queued for the test to answer. */
class FakeUdpTracker {
  readonly socket: Socket
  private readonly queue: Packet[] = []
  private wake: (() => void) | undefined
  constructor (readonly clock: ManualTimers, family: 4 | 6 = 4) {
    this.socket = createSocket(family === 4 ? 'udp4' : 'udp6')
    this.socket.on('message', (msg, from) => { this.queue.push({ msg, from, at: clock.now() }); this.wake?.() })
  }

  async listen (host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => { this.socket.once('error', reject); this.socket.bind(0, host, () => { resolve() }) })
    const port = this.socket.address().port
    return host.includes(':') ? `udp://[${host}]:${port}` : `udp://${host}:${port}`
  }

  async next (): Promise<Packet> {
    while (this.queue.length === 0) await new Promise<void>(resolve => { this.wake = resolve })
    return this.queue.shift() as Packet
  }

  send (to: RemoteInfo, bytes: Uint8Array, from: Socket = this.socket): void {
    from.send(bytes, to.port, to.address)
  }

  close (): void { this.socket.close() }
}

const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const tidOf = (p: Packet): number => p.msg.readUInt32BE(12)
const actionOf = (p: Packet): number => p.msg.readUInt32BE(8)
const connectReply = (tid: number, id = 0x0102030405060708n): Uint8Array => {
  const b = Buffer.alloc(16)
  b.writeUInt32BE(0, 0); b.writeUInt32BE(tid, 4); b.writeBigUInt64BE(id, 8)
  return b
}
const announceReply = (tid: number, peers: number[] = [10, 0, 0, 1, 0x1a, 0xe1]): Uint8Array =>
  new Uint8Array([...u32(1), ...u32(tid), ...u32(1800), ...u32(4), ...u32(9), ...peers])

let cleanup: Array<() => unknown> = []
afterEach(async () => { for (const f of cleanup.reverse()) await f(); cleanup = [] })

function setup (options: Parameters<typeof udpTrackerClient>[0] = {}, family: 4 | 6 = 4): { clock: ManualTimers, tracker: FakeUdpTracker, client: UdpTrackerClient } {
  const clock = new ManualTimers()
  const tracker = new FakeUdpTracker(clock, family)
  const client = udpTrackerClient({ timers: clock, ...options })
  cleanup.push(() => { tracker.close() }, async () => { await client.close() })
  return { clock, tracker, client }
}

async function codeOf (p: Promise<unknown>): Promise<string> {
  try { await p; return 'resolved' } catch (e) { return e instanceof TrackerError ? e.code : `untyped ${String(e)}` }
}

describe('udpTrackerClient', () => {
  it('connects, then announces with BEP 41 URL data, and reads the reply', async () => {
    const { tracker, client } = setup()
    const url = await tracker.listen()
    const done = client.announce(`${url}/announce?passkey=s3cret`, request)
    const c = await tracker.next()
    expect(c.msg.length).toBe(16)
    expect(c.msg.readBigUInt64BE(0)).toBe(0x41727101980n)
    tracker.send(c.from, connectReply(tidOf(c)))
    const a = await tracker.next()
    expect(actionOf(a)).toBe(1)
    expect(a.msg.readBigUInt64BE(0)).toBe(0x0102030405060708n)
    expect(Buffer.from(a.msg.subarray(16, 36))).toEqual(Buffer.from(infoHash))
    expect(a.msg[98]).toBe(2)
    expect(a.msg.subarray(100).toString()).toBe('/announce?passkey=s3cret')
    tracker.send(a.from, announceReply(tidOf(a)))
    expect(await done).toEqual({ interval: 1800, incomplete: 4, complete: 9, peers: [{ host: '10.0.0.1', port: 6881 }] })
    expect(tidOf(a)).not.toBe(tidOf(c))
  })

  it('ignores replies with the wrong tid, sender, action or size, and keeps waiting (E50)', async () => {
    const { tracker, client } = setup()
    const url = await tracker.listen()
    const stranger = createSocket('udp4')
    await new Promise<void>(resolve => { stranger.bind(0, '127.0.0.1', resolve) })
    cleanup.push(() => { stranger.close() })
    const done = client.announce(url, request)
    const c = await tracker.next()
    const tid = tidOf(c)
    tracker.send(c.from, connectReply((tid ^ 1) >>> 0))
    tracker.send(c.from, connectReply(tid), stranger)
    tracker.send(c.from, connectReply(tid).subarray(0, 12))
    tracker.send(c.from, announceReply(tid))
    tracker.send(c.from, connectReply(tid, 42n))
    const a = await tracker.next()
    expect(a.msg.readBigUInt64BE(0)).toBe(42n)
    tracker.send(a.from, announceReply(tidOf(a), [1, 2, 3, 4, 5, 6, 7]))
    tracker.send(a.from, announceReply(tidOf(a)).subarray(0, 19))
    tracker.send(a.from, connectReply(tidOf(a)))
    tracker.send(a.from, announceReply(tidOf(a)))
    expect((await done).peers).toHaveLength(1)
  })

  it('turns an error reply into TrackerError failure with its message', async () => {
    const { tracker, client } = setup()
    const url = await tracker.listen()
    const done = client.announce(url, request)
    const c = await tracker.next()
    tracker.send(c.from, connectReply(tidOf(c)))
    const a = await tracker.next()
    tracker.send(a.from, new Uint8Array([...u32(3), ...u32(tidOf(a)), ...Buffer.from('torrent not registered')]))
    await expect(done).rejects.toMatchObject({ name: 'TrackerError', code: 'failure', message: 'torrent not registered' })
  })

  it('retransmits after 15·2^n s for n = 0…8, then gives up with timeout', async () => {
    const { clock, tracker, client } = setup()
    const url = await tracker.listen()
    const done = codeOf(client.announce(url, request))
    const sentAt: number[] = []
    for (let n = 0; n <= 8; n++) {
      const p = await tracker.next()
      sentAt.push(p.at)
      expect(actionOf(p)).toBe(0)
      expect(clock.scheduled).toEqual([15_000 * 2 ** n])
      clock.advance(15_000 * 2 ** n)
    }
    expect(await done).toBe('timeout')
    expect(sentAt).toEqual([0, 15, 45, 105, 225, 465, 945, 1905, 3825].map(s => s * 1000))
  })

  it('answers a delayed reply after a retransmission, with the same transaction id', async () => {
    const { clock, tracker, client } = setup({ retransmitBaseMs: 100 })
    const url = await tracker.listen()
    const done = client.announce(url, request)
    const first = await tracker.next()
    clock.advance(100)
    const second = await tracker.next()
    expect(tidOf(second)).toBe(tidOf(first))
    tracker.send(second.from, connectReply(tidOf(second)))
    const a = await tracker.next()
    expect(clock.scheduled).toEqual([200])
    tracker.send(a.from, announceReply(tidOf(a)))
    expect((await done).interval).toBe(1800)
  })

  it('reuses a connection id for 60 s, then connects again', async () => {
    const { clock, tracker, client } = setup()
    const url = await tracker.listen()
    const serve = async (expectConnect: boolean): Promise<void> => {
      let p = await tracker.next()
      expect(actionOf(p)).toBe(expectConnect ? 0 : 1)
      if (expectConnect) { tracker.send(p.from, connectReply(tidOf(p), 99n)); p = await tracker.next() }
      expect(p.msg.readBigUInt64BE(0)).toBe(99n)
      tracker.send(p.from, announceReply(tidOf(p)))
    }
    let done = client.announce(url, request); await serve(true); await done
    clock.advance(59_999)
    done = client.announce(url, request); await serve(false); await done
    clock.advance(1)
    done = client.announce(url, request); await serve(true); await done
  })

  it('scrapes, splitting more than 74 hashes over several packets', async () => {
    const { tracker, client } = setup()
    const url = await tracker.listen()
    const hashes = Array.from({ length: 80 }, (_, i) => new Uint8Array(20).fill(i))
    const done = client.scrape(url, hashes)
    const c = await tracker.next()
    tracker.send(c.from, connectReply(tidOf(c)))
    for (const count of [74, 6]) {
      const s = await tracker.next()
      expect(actionOf(s)).toBe(2)
      expect(s.msg.length).toBe(16 + 20 * count)
      const entries = Array.from({ length: count }, (_, i) => [...u32(s.msg[16 + 20 * i] ?? 0), ...u32(1), ...u32(2)]).flat()
      tracker.send(s.from, new Uint8Array([...u32(2), ...u32(tidOf(s)), ...entries]))
    }
    const r = await done
    expect(r.files.size).toBe(80)
    expect(r.files.get('4f'.repeat(20))).toEqual({ complete: 0x4f, downloaded: 1, incomplete: 2 })
  })

  it('aborts with the signal reason, and close fails pending requests', async () => {
    const { tracker, client } = setup()
    const url = await tracker.listen()
    const ac = new AbortController()
    const aborted = client.announce(url, request, { signal: ac.signal })
    await tracker.next()
    const reason = new Error('stop')
    ac.abort(reason)
    await expect(aborted).rejects.toBe(reason)
    const pending = codeOf(client.announce(url, request))
    await tracker.next()
    await client.close()
    expect(await pending).toBe('closed')
    expect(await codeOf(client.announce(url, request))).toBe('closed')
  })

  it('fails at once with unreachable when the tracker port is closed (ICMP port unreachable), not after the retransmissions', async () => {
    const { client } = setup()
    // A port that was just bound and released: nothing listens there now.
    const probe = createSocket('udp4')
    await new Promise<void>(resolve => { probe.bind(0, '127.0.0.1', resolve) })
    const port = probe.address().port
    await new Promise<void>(resolve => { probe.close(() => { resolve() }) })
    // The manual clock never advances: only the ICMP error can end this request.
    expect(await codeOf(client.announce(`udp://127.0.0.1:${port}/announce`, request))).toBe('unreachable')
  })

  it('refuses URLs outside the policy', async () => {
    const { client } = setup()
    expect(await codeOf(client.announce('udp://169.254.169.254:80', request))).toBe('refused')
    expect(await codeOf(client.announce('udp://tracker.test', request))).toBe('bad-url')
    expect(await codeOf(client.announce('http://127.0.0.1:1/announce', request))).toBe('bad-url')
    const local = udpTrackerClient({ allowLoopback: false })
    cleanup.push(async () => { await local.close() })
    expect(await codeOf(local.announce('udp://127.0.0.1:1', request))).toBe('refused')
    const lying = udpTrackerClient({ lookup: async () => ({ address: '169.254.169.254', family: 4 }) })
    cleanup.push(async () => { await lying.close() })
    expect(await codeOf(lying.announce('udp://tracker.test:1', request))).toBe('refused')
  })

  it('works over IPv6 with 18-byte peers', async (ctx) => {
    const { tracker, client } = setup({}, 6)
    let url: string
    try {
      url = await tracker.listen('::1')
    } catch (e) {
      ctx.skip(`no IPv6 loopback here: ${String(e)}`)
      return
    }
    const done = client.announce(url, request)
    const c = await tracker.next()
    tracker.send(c.from, connectReply(tidOf(c)))
    const a = await tracker.next()
    const peer = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1, 0x1a, 0xe1]
    tracker.send(a.from, announceReply(tidOf(a), peer))
    expect((await done).peers).toEqual([{ host: '2001:db8::1', port: 6881 }])
  })
})
