import { Observable, map, filter, scan } from 'rxjs'
import type { OperatorFunction } from 'rxjs'
import type { PeerEvent } from '../lib/peer/peer-event.js'
import type { PeerSession } from '../lib/peer/peer-session.js'
import { peerIsInteresting, updateInterest } from '../lib/peer/interest.js'
import { seedUnchoke } from '../lib/peer/seed-unchoke.js'
import type { SeedPeer, UnchokeChanges } from '../lib/peer/seed-unchoke.js'
import type { Bitfield } from '../lib/pieces/bitfield.js'
import type { Message } from '../lib/wire/types.js'

/** Options of {@link interest}. */
export interface InterestOptions {
  readonly session: PeerSession
  /** Our pieces: a live reference. */
  readonly ourHave: Bitfield
  /** Emits whenever `ourHave` changed (a piece was verified). */
  readonly ourHaveChanged$?: Observable<unknown>
  /** A custom rule (e.g. `RequestPlanner.isInteresting`); default: the peer has a piece we lack. */
  readonly isInteresting?: (peerHas: Bitfield) => boolean
}

/**
 * Keep our interest in one peer up to date: from the peer's `have` and
 * `bitfield` events (the source, already applied to the session) and our
 * own have changes, to the `interested` / `not-interested` messages to
 * send. Emits only when interest changes. With the default rule a `have`
 * costs O(1), and our own changes are checked only while we are interested.
 *
 * ```
 * events: --b----h-------|     ourHaveChanged$: ------------c--
 * result: --I------------|                      (N at c when nothing is left to want)
 * ```
 * Completes when the source completes.
 * @throws nothing
 * @see BEP 3 (interested)
 */
export function interest (options: InterestOptions): OperatorFunction<PeerEvent, Message[]> {
  const { session, ourHave, isInteresting } = options
  const rule = isInteresting ?? ((peerHas: Bitfield) => peerIsInteresting(ourHave, peerHas))
  const decide = (event: PeerEvent | undefined): Message[] => {
    if (isInteresting === undefined && event?.type === 'have') {
      return session.amInterested || ourHave.has(event.index) ? [] : session.interested()
    }
    if (isInteresting === undefined && event === undefined && !session.amInterested) return []
    return updateInterest(session, rule(session.peerHas))
  }
  return (source) => new Observable<Message[]>((subscriber) => {
    const emit = (out: Message[]): void => { if (out.length > 0) subscriber.next(out) }
    const sub = source.subscribe({
      next: (event) => { if (event.type === 'have' || event.type === 'bitfield') emit(decide(event)) },
      error: (err: unknown) => { subscriber.error(err) },
      complete: () => { subscriber.complete() }
    })
    const ours = options.ourHaveChanged$?.subscribe({
      next: () => { emit(decide(undefined)) },
      error: (err: unknown) => { subscriber.error(err) }
    })
    return () => {
      sub.unsubscribe()
      ours?.unsubscribe()
    }
  })
}

/**
 * The simple seeding choker: on each snapshot of peers (in arrival order,
 * with their interest), unchoke up to `slots` interested peers first come
 * first served, and choke those that lost interest. Emits only non-empty
 * changes. The full tit-for-tat choker is a separate strategy.
 *
 * Completes when `peers$` completes.
 * @throws nothing
 * @see BEP 3 (choking); `seedUnchoke` in lib/peer/seed-unchoke.ts holds the rule
 */
export function seedUnchokes<K> (peers$: Observable<readonly SeedPeer<K>[]>, options: { readonly slots: number }): Observable<UnchokeChanges<K>> {
  return peers$.pipe(
    scan((acc: { unchoked: Set<K>, changes: UnchokeChanges<K> }, peers) => {
      const changes = seedUnchoke(peers, acc.unchoked, options.slots)
      const unchoked = new Set(acc.unchoked)
      for (const id of changes.choke) unchoked.delete(id)
      for (const id of changes.unchoke) unchoked.add(id)
      return { unchoked, changes }
    }, { unchoked: new Set<K>(), changes: { unchoke: [], choke: [] } }),
    map((acc) => acc.changes),
    filter((c) => c.unchoke.length > 0 || c.choke.length > 0)
  )
}
