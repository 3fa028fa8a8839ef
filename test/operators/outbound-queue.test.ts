import { describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../lib/errors.js'
import { OutboundQueue } from '../../operators/outbound-queue.js'
import type { Outbound } from '../../operators/outbound-queue.js'

async function settle (): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

describe('OutboundQueue', () => {
  it('is bounded: pushing past maxQueued throws queue-full (disconnect)', () => {
    const q = new OutboundQueue({ maxQueued: 3 })
    for (let i = 0; i < 3; i++) q.push({ type: 'have', index: i })
    expect(q.queued).toBe(3)
    let thrown: unknown
    try { q.push({ type: 'have', index: 3 }) } catch (err) { thrown = err }
    expect(thrown).toBeInstanceOf(RxTorrentError)
    expect(thrown).toMatchObject({ code: 'queue-full', disposition: 'disconnect' })
  })

  it('yields everything queued as one batch per pull, then waits for more', async () => {
    const q = new OutboundQueue()
    const it = q[Symbol.asyncIterator]()
    q.push({ type: 'choke' })
    q.push({ type: 'have', index: 1 })
    expect(await it.next()).toEqual({ done: false, value: [{ type: 'choke' }, { type: 'have', index: 1 }] })
    expect(q.queued).toBe(0)
    const pending = it.next()
    let resolved = false
    void pending.then(() => { resolved = true })
    await settle()
    expect(resolved).toBe(false)
    q.push({ type: 'unchoke' })
    expect(await pending).toEqual({ done: false, value: [{ type: 'unchoke' }] })
  })

  it('pulls blocks only when the writer pulls, and never reads ahead', async () => {
    const q = new OutboundQueue()
    let asked = 0
    const blocks: Outbound[][] = [[Uint8Array.from([1])], [Uint8Array.from([2])]]
    q.setBlockSource(async () => { asked++; return blocks.shift() })
    await settle()
    expect(asked).toBe(0)
    const it = q[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual([Uint8Array.from([1])])
    expect(asked).toBe(1)
    await settle()
    expect(asked).toBe(1)
    expect((await it.next()).value).toEqual([Uint8Array.from([2])])
    expect(asked).toBe(2)
  })

  it('control messages go before blocks', async () => {
    const q = new OutboundQueue()
    q.setBlockSource(() => [Uint8Array.from([7])])
    q.push({ type: 'unchoke' })
    const it = q[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual([{ type: 'unchoke' }])
    expect((await it.next()).value).toEqual([Uint8Array.from([7])])
  })

  it('waits when the block source has nothing, and retries on wake (even a wake during the source call)', async () => {
    const q = new OutboundQueue()
    let ready = false
    let asked = 0
    q.setBlockSource(async () => {
      asked++
      q.wake()
      if (!ready) return undefined
      ready = false
      return [Uint8Array.from([5])]
    })
    const it = q[Symbol.asyncIterator]()
    const pending = it.next()
    await settle()
    // the wake inside the call makes the queue ask again instead of sleeping
    expect(asked).toBeGreaterThan(1)
    ready = true
    q.wake()
    expect((await pending).value).toEqual([Uint8Array.from([5])])
  })

  it('a pull with no block ready sleeps until wake()', async () => {
    const q = new OutboundQueue()
    let asked = 0
    let block: Outbound[] | undefined
    q.setBlockSource(() => { asked++; const b = block; block = undefined; return b })
    const it = q[Symbol.asyncIterator]()
    const pending = it.next()
    await settle()
    expect(asked).toBe(1)
    block = [Uint8Array.from([3])]
    q.wake()
    expect((await pending).value).toEqual([Uint8Array.from([3])])
    expect(asked).toBe(2)
  })

  it('end() yields what is queued, then finishes; end(err) fails the next pull', async () => {
    const q = new OutboundQueue()
    q.push({ type: 'choke' })
    q.end()
    const out: Outbound[][] = []
    for await (const batch of q) out.push(batch)
    expect(out).toEqual([[{ type: 'choke' }]])
    expect(() => { q.push({ type: 'choke' }) }).toThrow(RxTorrentError)

    const r = new OutboundQueue()
    r.push({ type: 'choke' })
    const err = new Error('gone')
    r.end(err)
    await expect(r[Symbol.asyncIterator]().next()).rejects.toBe(err)
  })

  it('end() wakes a waiting pull', async () => {
    const q = new OutboundQueue()
    const pending = q[Symbol.asyncIterator]().next()
    q.end()
    expect(await pending).toEqual({ done: true, value: undefined })
  })
})
