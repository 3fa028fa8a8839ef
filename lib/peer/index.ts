/**
 * The per-peer protocol core: a pure state machine fed the peer's messages
 * and our commands, with the time passed in, plus the small rules that drive
 * it (request pipelining, request depth, interest).
 *
 * @example
 * ```ts
 * // PeerSession is exported by the `rxtorrent/lib` entry point.
 * const session = new PeerSession({ geometry, fast: true, extended: false, ourHave })
 * send(session.announce(ourHave))
 * for (const event of session.handle({ type: 'have-all' }, now)) console.log(event.type) // 'bitfield'
 * send(session.interested())
 * ```
 * @see BEP 3, BEP 6
 */
export { PeerSession } from './peer-session.js'
export type { PeerSessionOptions, OutstandingRequest } from './peer-session.js'
export type { PeerEvent, PeerEventType } from './peer-event.js'
export { blockKey, toBlockRef } from './block-key.js'
export { planRequests, requestStep } from './request-pipeline.js'
export { requestDepth } from './request-depth.js'
export type { RequestDepthInput } from './request-depth.js'
export type { BlockPlanner, PlanRequestsOptions, RequestStep, RequestStepOptions } from './request-pipeline.js'
export { peerIsInteresting, updateInterest } from './interest.js'
