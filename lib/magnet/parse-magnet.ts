import { LIMITS } from '../constants.js'
import { MagnetError } from '../errors.js'
import type { PeerAddress } from '../transport/types.js'
import { formatAddress } from '../transport/types.js'
import { fromHex, parseInfoHash, toHex } from './info-hash.js'
import { parsePeerAddress } from './peer-address.js'
import { MAX_SELECT_ONLY, MAX_SELECT_ONLY_INDEX, selectOnlyItems } from './select-only.js'
import type { Magnet } from './types.js'

/** Default cap on the length of a magnet URI, in characters. */
export const MAX_MAGNET_LENGTH = 16 * 1024

/** Options of {@link parseMagnet}. */
export interface ParseMagnetOptions {
  /** Most `tr`, `ws` and `x.pe` entries kept, each; the rest are dropped. Default `LIMITS.maxMagnetParams`. */
  readonly maxParams?: number
  /** Longest URI accepted, in characters. Default `MAX_MAGNET_LENGTH` (16 KiB). */
  readonly maxLength?: number
  /** Most file indices `so` may select; the rest are dropped with a warning. Default `MAX_SELECT_ONLY`. */
  readonly maxSelectOnly?: number
  /** Largest file index `so` may name; larger ones are dropped with a warning. Default `MAX_SELECT_ONLY_INDEX` (999,999). */
  readonly maxSelectOnlyIndex?: number
}

/** Most warnings one magnet carries; a last line counts the rest. */
const MAX_WARNINGS = 20

/** Tracker schemes a magnet's `tr` may use; any other is dropped with a warning. */
const TRACKER_SCHEME = /^(?:https?|udp):\/\//i

/**
 * Parse a magnet URI. Values are percent-decoded as `URLSearchParams` does
 * (`+` is a space, invalid escapes stay as written); keys are
 * case-insensitive (`XT=`, `Dn=`) and indexed keys (`tr.1`, `xt.2`…) count
 * as their base key. `tr`, `ws` and `x.pe` are de-duplicated in order and
 * capped at `maxParams` each — extra entries are dropped, not an error.
 * What deployed clients tolerate is tolerated, and said in `warnings`: a
 * `tr` that is not an http(s) or udp URL is dropped; a bad `so` item is
 * skipped, `so` indices beyond `maxSelectOnlyIndex` dropped, and selections
 * past `maxSelectOnly` dropped. Malformed `x.pe` and `xl` values are ignored;
 * unknown keys too. Whitespace around the URI (a pasted line) is trimmed.
 * @throws MagnetError (reject): `too-long` over `maxLength`; `not-a-magnet`
 *   without the `magnet:?` prefix; `bad-info-hash` for a `urn:btih:` that is
 *   not 40 hex or 32 base32 characters or a `urn:btmh:` that is not a SHA-256
 *   multihash; `conflicting-info-hash` for two different btih values;
 *   `no-btih` when there is no v1 info-hash (a v2-only magnet included).
 * @see BEP 9, BEP 53, ADVERSARIAL E52
 */
export function parseMagnet (input: string, options: ParseMagnetOptions = {}): Magnet {
  const maxLength = options.maxLength ?? MAX_MAGNET_LENGTH
  const maxParams = options.maxParams ?? LIMITS.maxMagnetParams
  if (input.length > maxLength) {
    throw new MagnetError('too-long', `magnet URI is ${input.length} characters, over the limit of ${maxLength}`, { details: { length: input.length, max: maxLength } })
  }
  const uri = input.trim()
  if (!/^magnet:\?/i.test(uri)) throw new MagnetError('not-a-magnet', 'a magnet URI starts with "magnet:?"')
  const hash = uri.indexOf('#')
  const query = uri.slice('magnet:?'.length, hash < 0 ? undefined : hash)

  let infoHash: Uint8Array | undefined
  let infoHashV2: Uint8Array | undefined
  let name: string | undefined
  let exactLength: number | undefined
  const trackers = new Set<string>()
  const webSeeds = new Set<string>()
  const peers = new Map<string, PeerAddress>()
  const selectOnlyParts: string[] = []
  const keywords: string[] = []
  const warnings: string[] = []
  let unsaid = 0
  const warn = (message: string): void => { if (warnings.length < MAX_WARNINGS) warnings.push(message); else unsaid++ }

  for (const [rawKey, value] of new URLSearchParams(query)) {
    const key = (/^(.+)\.\d+$/.exec(rawKey)?.[1] ?? rawKey).toLowerCase()
    switch (key) {
      case 'xt': {
        const lower = value.toLowerCase()
        if (lower.startsWith('urn:btih:')) {
          const parsed = parseInfoHash(value.slice(9))
          if (infoHash !== undefined && toHex(infoHash) !== toHex(parsed)) {
            throw new MagnetError('conflicting-info-hash', 'magnet has two different urn:btih info-hashes')
          }
          infoHash = parsed
        } else if (lower.startsWith('urn:btmh:')) {
          infoHashV2 = parseMultihash(value.slice(9))
        }
        break
      }
      case 'dn':
        name ??= value
        break
      case 'tr':
        if (value === '' || trackers.has(value)) break
        if (!TRACKER_SCHEME.test(value)) warn(`tracker ${JSON.stringify(value.slice(0, 100))} dropped: only http, https and udp trackers are used`)
        else if (trackers.size < maxParams) trackers.add(value)
        else warn(`more than ${maxParams} trackers: ${JSON.stringify(value.slice(0, 100))} dropped`)
        break
      case 'ws':
        if (value !== '' && webSeeds.size < maxParams) webSeeds.add(value)
        break
      case 'x.pe': {
        const address = parsePeerAddress(value)
        if (address !== undefined && peers.size < maxParams) peers.set(formatAddress(address), address)
        break
      }
      case 'so':
        selectOnlyParts.push(value)
        break
      case 'xl':
        if (exactLength === undefined && /^\d{1,16}$/.test(value) && Number(value) <= Number.MAX_SAFE_INTEGER) exactLength = Number(value)
        break
      case 'kt':
        for (const word of value.split(/\s+/)) if (word !== '' && keywords.length < maxParams) keywords.push(word)
        break
    }
  }

  if (infoHash === undefined) {
    throw new MagnetError('no-btih', infoHashV2 === undefined
      ? 'magnet has no xt=urn:btih: info-hash'
      : 'magnet has only a v2 (urn:btmh:) info-hash; a v1 urn:btih: info-hash is required')
  }
  const magnet: { -readonly [K in keyof Magnet]: Magnet[K] } = {
    infoHash,
    infoHashHex: toHex(infoHash),
    trackers: [...trackers],
    webSeeds: [...webSeeds],
    peers: [...peers.values()]
  }
  if (infoHashV2 !== undefined) magnet.infoHashV2 = infoHashV2
  if (name !== undefined) magnet.name = name
  if (selectOnlyParts.length > 0) {
    const items = selectOnlyItems(selectOnlyParts.join(','), options.maxSelectOnly ?? MAX_SELECT_ONLY, options.maxSelectOnlyIndex ?? MAX_SELECT_ONLY_INDEX)
    for (const problem of items.problems) warn(`so: ${problem}`)
    if (items.indices.length > 0) magnet.selectOnly = items.indices
  }
  if (exactLength !== undefined) magnet.exactLength = exactLength
  if (keywords.length > 0) magnet.keywords = keywords
  if (unsaid > 0) warnings.push(`${unsaid} more warnings`)
  if (warnings.length > 0) magnet.warnings = warnings
  return magnet
}

/** The 32-byte SHA-256 digest of a hex multihash `1220` + 64 hex digits. */
function parseMultihash (text: string): Uint8Array {
  const bytes = fromHex(text)
  if (bytes === undefined || bytes.length !== 34 || bytes[0] !== 0x12 || bytes[1] !== 0x20) {
    throw new MagnetError('bad-info-hash', 'urn:btmh: must be a hex SHA-256 multihash (1220 followed by 64 hex digits)', { details: { length: text.length } })
  }
  return bytes.slice(2)
}
