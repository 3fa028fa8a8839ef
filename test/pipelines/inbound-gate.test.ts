import type { SchedulerLike } from 'rxjs'
import { describe, expect, it } from 'vitest'
import type { Duplex } from '../../lib/transport/types.js'
import { VirtualClock } from '../../operators/virtual-clock.js'
import { InboundGate } from '../../pipelines/inbound-gate.js'

/** A connection that never sends; records why it was closed. */
function silent (host: string): { conn: Duplex, closed: Error[] } {
  const closed: Error[] = []
  const conn: Duplex = {
    source: { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }) },
    sink: async () => {},
    close: (err) => { closed.push(err ?? new Error('closed')) },
    remote: { host, port: 6881 }
  }
  return { conn, closed }
}

describe('InboundGate idle timeout', () => {
  it('closes a silent connection when its timer fires, even when the clock reads a little short', () => {
    // Node's timers count from the event loop's cached time, Date.now() is
    // read at the accept: after a long loop turn a 3 s timer fires when
    // now() says a few milliseconds less than 3 s have passed. The
    // connection must close then, not wait for the 10 s handshake timeout.
    const clock = new VirtualClock()
    let skew = 5
    const early: SchedulerLike = { now: () => clock.now() + skew, schedule: clock.schedule.bind(clock) }
    const gate = new InboundGate({ scheduler: early, idleTimeoutMs: 3000 })
    const { conn, closed } = silent('127.0.0.9')
    expect(gate.accept(conn)).toBeDefined()
    skew = 0
    clock.advanceTo(3000)
    expect(closed).toHaveLength(1)
    expect(closed[0]).toMatchObject({ code: 'inbound-idle' })
    expect(gate.idleClosed).toBe(1)
  })

  it('leaves a connection that was handshaken before the timer', () => {
    const clock = new VirtualClock()
    const gate = new InboundGate({ scheduler: clock, idleTimeoutMs: 3000 })
    const { conn, closed } = silent('127.0.0.10')
    const g = gate.accept(conn)
    g?.handshaken()
    clock.advanceTo(10_000)
    expect(closed).toHaveLength(0)
  })
})
