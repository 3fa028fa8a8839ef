import { Observable, timer, type SchedulerLike } from 'rxjs'
import { decodePex, encodePex, type PexPeer } from '../../lib/extensions/ut-pex.js'
import { PexInbox, PexState } from '../../lib/extensions/pex-state.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import type { Extension } from '../extension.js'

/** Options of {@link utPex}. */
export interface UtPexOptions {
  /** The peers we are connected to, as reachable addresses (listen ports), with BEP 11 flags. */
  readonly peers: () => readonly PexPeer[]
  /** Our own addresses: never accepted from a PEX message. */
  readonly self: () => readonly PeerAddress[]
  /** The address `key` stands for, so a peer is never told about itself. */
  readonly addressOf?: (key: string) => PeerAddress | undefined
  readonly scheduler: SchedulerLike
  /** First message this long after the handshake; default 2 s. */
  readonly firstDelayMs?: number
  /** Between messages; default and minimum 60 s (BEP 11). */
  readonly intervalMs?: number
}

/** Peers a remote told us about. */
export interface PexPeersEvent { readonly type: 'pex-peers', readonly peers: readonly PexPeer[] }

/**
 * BEP 11 peer exchange: every minute (the first time shortly after the
 * extended handshake) the peer is sent the peers we gained and lost since
 * the last message, at most 50 of each (`PexState`); what it sends us is
 * rate-limited to one message a minute, capped at 50 peers, deduplicated and
 * stripped of our own addresses (`PexInbox`), then emitted. A malformed or
 * oversized message ends the connection with a `ProtocolError`. Not for
 * private torrents (BEP 27): the pipelines leave it out there.
 * @see BEP 11
 */
export function utPex (options: UtPexOptions): Extension<PexPeersEvent> {
  const intervalMs = Math.max(60_000, options.intervalMs ?? 60_000)
  return {
    name: 'ut_pex',
    attach: (messages$, peer) => new Observable<PexPeersEvent>((subscriber) => {
      const state = new PexState({ intervalMs })
      const inbox = new PexInbox()
      const scheduler = options.scheduler
      const itself = options.addressOf?.(peer.key)
      // Look every few seconds; the state sends at most once per interval, and an
      // empty change does not use up the interval.
      const ticks = timer(options.firstDelayMs ?? 2000, Math.min(5000, intervalMs), scheduler).subscribe(() => {
        const current = options.peers().filter((p) => itself === undefined || p.host !== itself.host || p.port !== itself.port)
        const message = state.diff(current, scheduler.now())
        if (message !== undefined) peer.send(encodePex(message))
      })
      const incoming = messages$.subscribe({
        next: (payload) => {
          let accepted: PexPeer[]
          try {
            accepted = inbox.accept(scheduler.now(), decodePex(payload), options.self())
          } catch (err) {
            subscriber.error(err)
            return
          }
          if (accepted.length > 0) subscriber.next({ type: 'pex-peers', peers: accepted })
        },
        complete: () => { subscriber.complete() }
      })
      return () => { ticks.unsubscribe(); incoming.unsubscribe() }
    })
  }
}
