import type { SchedulerAction, Subscription } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { RxTorrentError } from '../../lib/errors.js'
import { formatAddress, type PeerAddress, type Transport } from '../../lib/transport/types.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { fetchMetadata } from '../../pipelines/magnet-metadata.js'

const settle = (): Promise<void> => new Promise<void>((resolve) => { setImmediate(resolve) })

/** A virtual clock that counts the actions it runs. */
class CountingClock extends VirtualClock {
  ran = 0
  override schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const clock = this
    return super.schedule(function (this: SchedulerAction<T>, s?: T) { clock.ran++; work.call(this, s) }, delay, state)
  }
}

describe('fetchMetadata dials through the peer dialer', () => {
  it('retries refusing peers with backoff on one timer, then fails with no-peers naming the last failure once', async () => {
    const clock = new CountingClock()
    const dials: string[] = []
    const refusing: Transport = {
      dial: async (a) => {
        dials.push(`${formatAddress(a)}@${clock.now()}`)
        throw new Error(`cannot connect to ${formatAddress(a)}: connection refused`)
      },
      listen: async () => { throw new Error('not used') }
    }
    const peers: PeerAddress[] = Array.from({ length: 6 }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 1 }))
    let failed: unknown
    void fetchMetadata(new Uint8Array(20).fill(7), { peers, transport: refusing, scheduler: clock }).catch((e: unknown) => { failed = e })
    await clock.run({ forMs: 120_000, settle, until: () => failed !== undefined })
    expect(failed).toBeInstanceOf(RxTorrentError)
    expect((failed as RxTorrentError).code).toBe('no-peers')
    expect((failed as Error).message).toBe('no peer gave the metadata (last: 10.0.0.6:1: connection refused)')
    // Each manual peer: 5 dials, at 0, 1, 3, 7 and 15 s (backoff 1 s doubling).
    expect(dials.filter((d) => d.startsWith('10.0.0.1:1@'))).toEqual(['10.0.0.1:1@0', '10.0.0.1:1@1000', '10.0.0.1:1@3000', '10.0.0.1:1@7000', '10.0.0.1:1@15000'])
    expect(dials).toHaveLength(30)
    // One wake-up per retry instant, not a timer per pump that each pump again.
    expect(clock.ran).toBeLessThanOrEqual(4)
  })
})
