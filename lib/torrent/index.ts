/**
 * The torrent engine: `step(state, input, ctx) → { state, effects }`, its
 * state, inputs and effects, and the strategies it runs with.
 */
export * from './types.js'
export * from './strategies.js'
export { createTorrentState, defaultChoker, isComplete, banKeyOf, TORRENT_RATE_WINDOW_MS, type TorrentState, type TorrentStateOptions, type TorrentStrategies, type EnginePeer, type ChokeMemory } from './state.js'
export { step } from './step.js'
export { chokeSnapshot, applyChokeDecision, flushTransfers } from './choking.js'
export { EARLY_ROUND_MIN_MS, EARLY_ROUND_BURST, OPEN_EARLY_ROUND_GATE, earlyRoundWait, earlyRoundRan, EarlyRoundPacer, type EarlyRoundGate, type EarlyRoundHost } from './early-rounds.js'
export { callStrategy } from './strategy-call.js'
export { sharingFor, type TorrentSharing, type SharingOptions } from './sharing.js'
export { guardPicker, type GuardedPicker } from './guarded-picker.js'
