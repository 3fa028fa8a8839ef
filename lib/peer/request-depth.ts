import { BEP3 } from '../constants.js'

/** Inputs of {@link requestDepth}. */
export interface RequestDepthInput {
  /** The peer's measured payload rate to us, bytes per second. */
  readonly rate: number
  /** Seconds of that rate to keep requested. */
  readonly queueSeconds: number
  /** Fewest requests to keep outstanding (a new or slow peer still gets this many). */
  readonly min: number
  /** Most requests to keep outstanding. */
  readonly max: number
  /** The peer's own limit from its extended handshake (`reqq`), when it sent one. */
  readonly reqq?: number | undefined
  /** Bytes per request; default 16 KiB. */
  readonly blockLength?: number
}

/**
 * How many requests to keep outstanding to one peer: enough blocks for
 * `queueSeconds` of its measured rate, at least `min` and at most `max`,
 * and never more than the peer said it accepts (`reqq`, BEP 10). A fast peer
 * gets a deep queue; a slow one holds only a few seconds' worth of blocks,
 * so it cannot sit on blocks that faster peers would deliver sooner.
 * Pure; never throws (bad numbers fall back to the bounds).
 * @see BEP 3 (pipelining), BEP 10 (`reqq`)
 */
export function requestDepth (input: RequestDepthInput): number {
  const max = Math.max(1, Math.floor(input.max))
  const min = Math.min(max, Math.max(1, Math.floor(input.min)))
  const block = input.blockLength ?? BEP3.BLOCK_SIZE
  const wanted = Number.isFinite(input.rate) && input.rate > 0 ? Math.ceil(input.rate * input.queueSeconds / block) : 0
  let depth = Math.min(max, Math.max(min, wanted))
  const reqq = input.reqq
  if (reqq !== undefined && Number.isSafeInteger(reqq) && reqq >= 1) depth = Math.min(depth, reqq)
  return depth
}
