/**
 * The extension protocol (BEP 10) and metadata exchange (BEP 9): the extended
 * handshake codec, per-connection extension ids, the `ut_metadata` codec,
 * and the candidate-size tracker that assembles a magnet's metadata.
 *
 * @example
 * ```ts
 * import { ExtensionIds, encodeExtendedHandshake, decodeExtendedHandshake } from './index.js'
 * const ids = new ExtensionIds(['ut_metadata'])
 * const payload = encodeExtendedHandshake({ m: ids.ourMap, v: 'rxtorrent' })
 * ids.applyRemote(decodeExtendedHandshake(payload))
 * ids.remoteId('ut_metadata') // 1
 * ```
 * @see BEP 9, BEP 10
 */
export { EXTENSION_LIMITS, METADATA_PIECE_SIZE } from './limits.js'
export { decodePrefix, type PrefixResult } from './decode-prefix.js'
export {
  encodeExtendedHandshake, decodeExtendedHandshake, isExtensionId,
  type ExtendedHandshake, type ExtendedHandshakeOptions
} from './extended-handshake.js'
export { ExtensionIds } from './extension-registry.js'
export {
  METADATA_MSG, encodeMetadataMessage, decodeMetadataMessage, metadataPieceCount, metadataPieceLength,
  type MetadataMessage, type MetadataRequest, type MetadataData, type MetadataReject, type MetadataUnknown,
  type MetadataMessageOptions
} from './ut-metadata.js'
export { MetadataCandidate } from './metadata-candidate.js'
export {
  MetadataCandidates, type MetadataCandidatesOptions, type MetadataCandidateResult, type MetadataCandidateSummary
} from './metadata-candidates.js'
export { PEX_FLAGS, PEX_LIMITS, pexAddressKey, encodePex, decodePex, type PexPeer, type PexMessage, type PexDecodeOptions } from './ut-pex.js'
export { PexState, PexInbox, type PexStateOptions, type PexInboxOptions } from './pex-state.js'
export { TEX_LIMITS, isExchangeableTrackerUrl, encodeTex, decodeTex, TexState, type TexMessage, type TexDecodeOptions, type TexStateOptions } from './lt-tex.js'
export { DONTHAVE_LENGTH, encodeDontHave, decodeDontHave } from './lt-donthave.js'
export { encodeUploadOnly, decodeUploadOnly } from './upload-only.js'
