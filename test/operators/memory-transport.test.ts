import { describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../lib/errors.js'
import { memoryDuplexPair } from '../../operators/memory-transport.js'

async function collect (source: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = []
  for await (const chunk of source) out.push(...chunk)
  return out
}

/** Let pending promise callbacks run (no timers involved). */
async function settle (): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

describe('memoryDuplexPair', () => {
  it('bytes written to one side come out of the other, in both directions, and the end propagates', async () => {
    const [a, b] = memoryDuplexPair()
    const sent = a.sink((async function * () { yield Uint8Array.from([1, 2]); yield Uint8Array.from([3]) })())
    const back = b.sink((async function * () { yield Uint8Array.from([9]) })())
    expect(await collect(b.source)).toEqual([1, 2, 3])
    expect(await collect(a.source)).toEqual([9])
    await sent
    await back
  })

  it('applies backpressure: a writer is not pulled past the high-water mark until the reader reads', async () => {
    const [a, b] = memoryDuplexPair({ highWaterMark: 10 })
    let pulled = 0
    const done = a.sink((async function * () {
      for (let i = 0; i < 10; i++) { pulled++; yield new Uint8Array(4) }
    })())
    await settle()
    expect(pulled).toBe(3)
    const seen = await collect(b.source)
    await done
    expect(pulled).toBe(10)
    expect(seen).toHaveLength(40)
  })

  it('close(err) ends both sources; writes on the closing side reject with err, on the other side with connection-closed', async () => {
    const [a, b] = memoryDuplexPair({ highWaterMark: 4 })
    const err = new RxTorrentError('test-close', 'closed by the test', { disposition: 'fatal' })
    const writingA = a.sink((async function * () { while (true) yield new Uint8Array(4) })())
    const writingB = b.sink((async function * () { while (true) yield new Uint8Array(4) })())
    const reading = collect(a.source)
    await settle()
    b.close(err)
    await expect(writingB).rejects.toBe(err)
    await expect(writingA).rejects.toMatchObject({ code: 'connection-closed', disposition: 'disconnect' })
    // a's source ends (it held only what b wrote before closing)
    await expect(reading).resolves.toBeDefined()
    expect(await collect(b.source)).toEqual([])
  })

  it('writes after close reject with connection-closed', async () => {
    const [a] = memoryDuplexPair()
    a.close()
    await expect(a.sink((async function * () { yield new Uint8Array(1) })())).rejects.toMatchObject({ code: 'connection-closed', disposition: 'disconnect' })
  })

  it('reports the given remote addresses', () => {
    const [a, b] = memoryDuplexPair({ addresses: [{ host: '10.0.0.2', port: 2 }, { host: '10.0.0.1', port: 1 }] })
    expect(a.remote).toEqual({ host: '10.0.0.2', port: 2 })
    expect(b.remote).toEqual({ host: '10.0.0.1', port: 1 })
  })
})
