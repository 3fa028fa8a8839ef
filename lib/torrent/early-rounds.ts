/**
 * The pacing of early choke rounds: the engine asks for one (its
 * `early-choke-round` effect) whenever a peer's interest changes or an
 * unchoked peer leaves, and the interpreter that runs the engine (the
 * runtime, the simulator) runs them through one {@link EarlyRoundPacer}, a
 * token bucket: a burst at once, then one per interval. Pure: the time and
 * the timer are the interpreter's.
 * @see BEP 3 (choking)
 */

/**
 * Early choke rounds (a peer's interest changed, an unchoked peer left) run
 * on average at most once per this many ms; one asked for sooner runs once
 * the {@link earlyRoundWait} is over. The interpreter that runs the engine
 * spaces them, with an {@link EarlyRoundPacer}.
 */
export const EARLY_ROUND_MIN_MS = 250

/**
 * Early rounds that may run back to back before they are spaced
 * {@link EARLY_ROUND_MIN_MS} apart. Peers that arrive together (six
 * leechers started at once) are each answered at once: with one round per
 * 250 ms, all but the first waited a quarter of a second for their
 * unchoke while slots were free. A busy swarm, whose interest changes
 * dozens of times a second, spends the burst and is then spaced as before.
 */
export const EARLY_ROUND_BURST = 8

/** The early rounds' allowance: a token bucket of {@link EARLY_ROUND_BURST} rounds, one more every {@link EARLY_ROUND_MIN_MS}. */
export interface EarlyRoundGate {
  /** Rounds that could run at `at`, before the refill since. */
  readonly credit: number
  /** When a round last ran (ms; `-Infinity`: never). */
  readonly at: number
}

/** The allowance of a torrent that has run no early round yet: a full burst. */
export const OPEN_EARLY_ROUND_GATE: EarlyRoundGate = { credit: EARLY_ROUND_BURST, at: -Infinity }

function creditAt (gate: EarlyRoundGate, now: number): number {
  return Math.min(EARLY_ROUND_BURST, gate.credit + (now - gate.at) / EARLY_ROUND_MIN_MS)
}

/** How long an early round asked for at `now` waits (0: it runs now). */
export function earlyRoundWait (gate: EarlyRoundGate, now: number): number {
  const credit = creditAt(gate, now)
  return credit >= 1 ? 0 : Math.ceil((1 - credit) * EARLY_ROUND_MIN_MS)
}

/** The allowance once an early round ran at `now` (call only when {@link earlyRoundWait} is 0). */
export function earlyRoundRan (gate: EarlyRoundGate, now: number): EarlyRoundGate {
  return { credit: Math.max(0, creditAt(gate, now) - 1), at: now }
}

/** What an {@link EarlyRoundPacer} is given by the interpreter that runs the engine. */
export interface EarlyRoundHost {
  /** The time, in ms. */
  readonly now: () => number
  /** Call `fn` once, `ms` from now (the interpreter's timer). */
  readonly later: (ms: number, fn: () => void) => void
  /** Run the early round now: step the engine with `{ type: 'choke-round', early: true }`. */
  readonly run: () => void
}

/**
 * Runs the early rounds the engine asks for as the allowance lets
 * ({@link earlyRoundWait}); one asked for sooner waits for its turn on a
 * single timer, however often it is asked for meanwhile.
 *
 * @example
 * const pacer = new EarlyRoundPacer({ now, later, run: () => input({ type: 'choke-round', early: true }) })
 * // an `early-choke-round` effect: pacer.ask(); once the input is carried out: pacer.settle()
 */
export class EarlyRoundPacer {
  readonly #host: EarlyRoundHost
  #gate: EarlyRoundGate = OPEN_EARLY_ROUND_GATE
  #due = false
  #armed = false

  constructor (host: EarlyRoundHost) {
    this.#host = host
  }

  /** The engine asked for an early round. */
  ask (): void {
    this.#due = true
  }

  /**
   * Run the round asked for if the allowance lets, else arm the timer for
   * its turn. Call it once the input that asked is carried out (not from
   * inside a step).
   */
  settle (): void {
    if (!this.#due) return
    const now = this.#host.now()
    const wait = earlyRoundWait(this.#gate, now)
    if (wait > 0) {
      if (this.#armed) return
      this.#armed = true
      this.#host.later(wait, () => { this.#armed = false; this.settle() })
      return
    }
    this.#due = false
    this.#gate = earlyRoundRan(this.#gate, now)
    this.#host.run()
  }
}
