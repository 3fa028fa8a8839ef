/**
 * The rates in a torrent's Progress are over the last second (what a person
 * reading the progress line expects), not a longer average.
 */
import type { SchedulerLike } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../lib/storage/memory-storage.js'
import { nodeHasher } from '../../pipelines/node/hasher.js'
import { PROGRESS_RATE_WINDOW_MS, TorrentRuntime } from '../../pipelines/torrent-runtime.js'
import { makeData, makeTorrent } from './swarm-helpers.js'

function runtimeAt (clock: { t: number }): TorrentRuntime {
  const data = makeData(4 * 16384)
  const torrent = makeTorrent(data, 16384)
  const scheduler = { now: () => clock.t, schedule: () => { throw new Error('not used') } } as unknown as SchedulerLike
  return new TorrentRuntime({ torrent, storage: new MemoryStorage(data.length), hasher: nodeHasher, peerId: new Uint8Array(20), scheduler })
}

describe('Progress rates', () => {
  it('are measured over the last second', () => {
    expect(PROGRESS_RATE_WINDOW_MS).toBe(1000)
    const clock = { t: 10_000 }
    const rt = runtimeAt(clock)
    rt.countUpload(100_000)
    clock.t = 10_500
    expect(rt.progress().uploadRate).toBe(100_000)
    // 1.2 s later the burst is out of the window: the line says 0, not 20 kB/s for four more seconds.
    clock.t = 11_200
    expect(rt.progress().uploadRate).toBe(0)
    expect(rt.progress().uploaded).toBe(100_000)
  })

  it('follows a steady rate second by second', () => {
    const clock = { t: 0 }
    const rt = runtimeAt(clock)
    for (; clock.t < 3000; clock.t += 100) rt.countUpload(5_000)
    // Ten 100 ms buckets: the current, just-started bucket is empty, so 0.9–1 s of traffic over 1 s.
    expect(rt.progress().uploadRate).toBeGreaterThanOrEqual(45_000)
    expect(rt.progress().uploadRate).toBeLessThanOrEqual(50_000)
    for (; clock.t < 6000; clock.t += 100) rt.countUpload(1_000)
    // Within a second of the change the rate already shows the new speed.
    expect(rt.progress().uploadRate).toBeGreaterThanOrEqual(9_000)
    expect(rt.progress().uploadRate).toBeLessThanOrEqual(10_000)
  })
})
