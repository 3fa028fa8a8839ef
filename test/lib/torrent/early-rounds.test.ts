import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EARLY_ROUND_BURST, EARLY_ROUND_MIN_MS, earlyRoundRan, earlyRoundWait, EarlyRoundPacer, OPEN_EARLY_ROUND_GATE } from '../../../lib/torrent/early-rounds.js'

describe('early round allowance (earlyRoundWait, earlyRoundRan)', () => {
  it('lets a burst of EARLY_ROUND_BURST rounds run at once, then spaces them EARLY_ROUND_MIN_MS apart', () => {
    let gate = OPEN_EARLY_ROUND_GATE
    for (let i = 0; i < EARLY_ROUND_BURST; i++) {
      expect(earlyRoundWait(gate, 1000)).toBe(0)
      gate = earlyRoundRan(gate, 1000)
    }
    expect(earlyRoundWait(gate, 1000)).toBe(EARLY_ROUND_MIN_MS)
    expect(earlyRoundWait(gate, 1000 + EARLY_ROUND_MIN_MS / 2)).toBe(EARLY_ROUND_MIN_MS / 2)
    expect(earlyRoundWait(gate, 1000 + EARLY_ROUND_MIN_MS)).toBe(0)
    gate = earlyRoundRan(gate, 1000 + EARLY_ROUND_MIN_MS)
    expect(earlyRoundWait(gate, 1000 + EARLY_ROUND_MIN_MS)).toBe(EARLY_ROUND_MIN_MS)
  })

  it('refills to a full burst after a quiet spell, never beyond it', () => {
    let gate = OPEN_EARLY_ROUND_GATE
    for (let i = 0; i < EARLY_ROUND_BURST; i++) gate = earlyRoundRan(gate, 0)
    const later = 100 * EARLY_ROUND_MIN_MS
    let ran = 0
    while (earlyRoundWait(gate, later) === 0) { gate = earlyRoundRan(gate, later); ran++ }
    expect(ran).toBe(EARLY_ROUND_BURST)
  })

  it('never runs more than EARLY_ROUND_BURST + t / EARLY_ROUND_MIN_MS rounds in any span t, whatever the asks', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 200 }), (gaps) => {
      let gate = OPEN_EARLY_ROUND_GATE
      let now = 0
      const ran: number[] = []
      for (const gap of gaps) {
        now += gap
        // An ask waits its turn, as the runtime's timer does.
        now += earlyRoundWait(gate, now)
        expect(earlyRoundWait(gate, now)).toBe(0)
        gate = earlyRoundRan(gate, now)
        ran.push(now)
      }
      for (let i = 0; i < ran.length; i++) {
        for (let j = i; j < ran.length; j++) {
          expect(j - i + 1).toBeLessThanOrEqual(EARLY_ROUND_BURST + ((ran[j] as number) - (ran[i] as number)) / EARLY_ROUND_MIN_MS + 1e-9)
        }
      }
    }))
  })
})

describe('EarlyRoundPacer', () => {
  /** A pacer on a hand-driven clock: the rounds it ran, and the timers it armed. */
  function paced (): { pacer: EarlyRoundPacer, ran: number[], timers: Array<{ at: number, fn: () => void }>, clock: { now: number } } {
    const clock = { now: 0 }
    const ran: number[] = []
    const timers: Array<{ at: number, fn: () => void }> = []
    const pacer = new EarlyRoundPacer({
      now: () => clock.now,
      later: (ms, fn) => { timers.push({ at: clock.now + ms, fn }) },
      run: () => { ran.push(clock.now) }
    })
    return { pacer, ran, timers, clock }
  }

  it('runs nothing until asked, and each ask within the burst at once', () => {
    const { pacer, ran, timers } = paced()
    pacer.settle()
    expect(ran).toEqual([])
    for (let i = 0; i < EARLY_ROUND_BURST; i++) { pacer.ask(); pacer.settle() }
    expect(ran).toHaveLength(EARLY_ROUND_BURST)
    expect(timers).toEqual([])
  })

  it('defers an ask past the burst to one timer, however often it is asked, and runs it when the timer fires', () => {
    const { pacer, ran, timers, clock } = paced()
    for (let i = 0; i < EARLY_ROUND_BURST; i++) { pacer.ask(); pacer.settle() }
    for (let i = 0; i < 5; i++) { pacer.ask(); pacer.settle() }
    expect(ran).toHaveLength(EARLY_ROUND_BURST)
    expect(timers.map((t) => t.at)).toEqual([EARLY_ROUND_MIN_MS])
    clock.now = EARLY_ROUND_MIN_MS
    timers[0]?.fn()
    expect(ran).toHaveLength(EARLY_ROUND_BURST + 1)
    expect(ran.at(-1)).toBe(EARLY_ROUND_MIN_MS)
    // Nothing asked since: the next settle runs nothing.
    pacer.settle()
    expect(ran).toHaveLength(EARLY_ROUND_BURST + 1)
  })
})
