/**
 * The choker's vocabulary: a snapshot of one peer as the choker sees it, the
 * round's context, the decision, and the strategy interface. A choker never
 * touches live connections; it maps a snapshot to the set of peers to unchoke.
 *
 * @see BEP 3 (choking and optimistic unchoking)
 */

/** One peer at the start of a choke round. */
export interface ChokePeer {
  /** Stable identifier of the connection (peer id or address). */
  readonly id: string
  /** The peer is interested in what we have. */
  readonly interested: boolean
  /** We choke this peer now. */
  readonly choked: boolean
  /** Bytes per second the peer sends us. */
  readonly downloadRate: number
  /** Bytes per second we send the peer. */
  readonly uploadRate: number
  /** The peer sent us nothing for 60 s while we wanted data from it. */
  readonly snubbed: boolean
  /** Time the connection was established, in the clock of `ChokeContext.now`. */
  readonly connectedAt: number
  /** Time of the last choked → unchoked transition, if any. */
  readonly lastUnchokedAt?: number
}

/** What a choker knows about the round besides the peers. */
export interface ChokeContext {
  /** Current time in milliseconds, from the injected scheduler. */
  readonly now: number
  /** Round counter: 0, 1, 2… one per round (10 s by default). */
  readonly round: number
  /** We have every piece and only upload. */
  readonly seeding: boolean
  /** Regular unchoke slots, 4 by default; the optimistic unchoke is extra. */
  readonly slots: number
  /** Uniform random number in [0, 1). */
  readonly random: () => number
  /** The optimistic peer chosen by the previous round, if any. */
  readonly optimistic?: string
  /**
   * An early round, between the regular ones: a peer's interest changed or
   * a slot freed. `round` is the last regular round's number; the optimistic
   * peer keeps its slot.
   */
  readonly early?: boolean
}

/** The result of a round: who is unchoked; everyone else is choked. */
export interface ChokeDecision {
  /** Peers to unchoke, the optimistic one included. */
  readonly unchoke: ReadonlySet<string>
  /** The optimistic peer, to be passed back in the next round's context. */
  readonly optimistic?: string
}

/** A choking strategy: a pure function from a snapshot to a decision. */
export interface Choker {
  readonly name: string
  /** One choke round: which of `peers` to unchoke, from a snapshot of their rates and interest. */
  decide (peers: readonly ChokePeer[], ctx: ChokeContext): ChokeDecision
}
