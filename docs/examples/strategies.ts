// The other strategies a torrent takes, beside the piece picker and the
// choker: when to be interested, how deep to pipeline requests, how to seed,
// and which peers to keep. Each is a small value; pass it to `download` or
// `seed` (or `runTorrent`). See lib/torrent/strategies.ts.
import type { InterestPolicy, PeerFilter, RequestDepthPolicy } from '../../lib/index.js'
import { superseeding } from '../../lib/index.js'

/** Interested only in peers that have every piece (a "seeds only" downloader). */
export const seedsOnly: InterestPolicy = {
  name: 'seeds-only',
  interested: ({ hasWanted, peerHas }) => hasWanted && peerHas.complete
}

/** A shallow pipeline: at most 4 requests outstanding to any peer. */
export const shallow: RequestDepthPolicy = {
  name: 'shallow',
  depth: ({ reqq }) => Math.min(4, reqq ?? 4)
}

/**
 * Refuse one address range, drop clients by their peer id prefix, and drop a
 * peer that sent nothing in its first two minutes while seeding nothing.
 */
export const strict: PeerFilter = {
  name: 'strict',
  judge: (p) => {
    if (p.stage === 'connecting' && p.address?.host.startsWith('10.66.') === true) return 'ban'
    if (p.stage === 'handshaken' && p.client === 'Xunlei') return 'drop'
    if (p.stage === 'round' && (p.connectedMs ?? 0) > 120_000 && p.downloaded === 0 && p.uploaded === 0) return 'drop'
    return 'keep'
  }
}

/** BEP 16 superseeding, as a seeding mode (the CLI's `seed --superseed`). */
export const superseed = superseeding()
