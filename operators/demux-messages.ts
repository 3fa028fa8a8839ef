import type { Message } from '../lib/wire/types.js'
import type { PeerEvent, PeerSession } from '../lib/peer/peer-session.js'
import type { PeerKey } from '../lib/pieces/request-planner.js'
import type { BlockIn } from './assemble-pieces.js'

/** Where {@link demuxMessages} sends what is not a wanted block. */
export interface DemuxHandlers {
  /** Control events (everything but accepted blocks), in wire order, synchronously. */
  readonly onEvent: (event: PeerEvent) => void
  /** Decides whether a block the session accepted is still wanted by the torrent. */
  readonly acceptBlock: (index: number, begin: number, length: number) => boolean
  /** Called once after each chunk's messages were handled, before its blocks are pulled on. */
  readonly onBatch?: () => void
  /** The time for the session, from the injected scheduler. */
  readonly now: () => number
}

/**
 * Splits a connection's decoded message batches into the data plane and the
 * control plane: every message goes through the peer session; block events
 * the torrent still wants are yielded (pulled, so backpressure reaches the
 * socket), every other event is handed to `onEvent`.
 *
 *     Message[] ──► demuxMessages ──► BlockIn (yielded)
 *                         └──────────► onEvent(PeerEvent)
 *
 * @throws ProtocolError from the session, ending the iteration (the
 *   connection's policy then decides what happens to the peer).
 * Completes when the source completes.
 */
export function demuxMessages (peer: PeerKey, session: PeerSession, handlers: DemuxHandlers) {
  const batches = demuxMessageBatches(peer, session, handlers)
  return async function * (source: AsyncIterable<Message[]>): AsyncGenerator<BlockIn> {
    for await (const blocks of batches(source)) yield * blocks
  }
}

/**
 * {@link demuxMessages} yielding the wanted blocks of each decoded batch as
 * one array (batches without any are skipped): one step of the async chain
 * per chunk read instead of one per block. Same handlers, errors and
 * completion; backpressure per batch.
 */
export function demuxMessageBatches (peer: PeerKey, session: PeerSession, handlers: DemuxHandlers) {
  return async function * (source: AsyncIterable<Message[]>): AsyncGenerator<BlockIn[]> {
    for await (const batch of source) {
      const now = handlers.now()
      const blocks: BlockIn[] = []
      for (const msg of batch) {
        for (const event of session.handle(msg, now)) {
          if (event.type === 'block') {
            if (handlers.acceptBlock(event.index, event.begin, event.block.length)) {
              blocks.push({ peer, index: event.index, begin: event.begin, block: event.block })
            } else {
              handlers.onEvent({ type: 'unwanted-block', index: event.index, begin: event.begin, length: event.block.length })
            }
          } else {
            handlers.onEvent(event)
          }
        }
      }
      handlers.onBatch?.()
      if (blocks.length > 0) yield blocks
    }
  }
}
