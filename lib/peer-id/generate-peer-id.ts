import { UsageError } from '../errors.js'

/** Our two-letter Azureus-style client code. @see BEP 20 */
export const CLIENT_CODE = 'RX'

/** Our version, four characters, as it appears in `-RX0100-`. */
export const DEFAULT_VERSION = '0100'

/** 64 printable characters: each random byte picks one with its low 6 bits, unbiased. */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._'

/**
 * Build a 20-byte Azureus-style peer id: `-RX` + 4 version characters + `-`,
 * then 12 printable characters derived from `random`. lib/ has no randomness
 * of its own, so the caller passes 12 random bytes (e.g. from
 * `crypto.getRandomValues`).
 * @throws UsageError `bad-peer-id-input` when `random` is not 12 bytes or
 *   `version` is not 4 characters of `[0-9A-Za-z]`.
 * @see BEP 20
 */
export function generatePeerId (random: Uint8Array, version: string = DEFAULT_VERSION): Uint8Array {
  if (random.length !== 12) {
    throw new UsageError('bad-peer-id-input', `generatePeerId needs 12 random bytes, got ${random.length}`, { details: { got: random.length } })
  }
  if (!/^[0-9A-Za-z]{4}$/.test(version)) {
    throw new UsageError('bad-peer-id-input', `peer id version must be 4 characters of [0-9A-Za-z], got "${version}"`, { details: { version } })
  }
  const id = new Uint8Array(20)
  const prefix = `-${CLIENT_CODE}${version}-`
  for (let i = 0; i < 8; i++) id[i] = prefix.charCodeAt(i)
  for (let i = 0; i < 12; i++) id[8 + i] = ALPHABET.charCodeAt((random[i] as number) & 63)
  return id
}

/**
 * {@link generatePeerId} from a uniform generator in [0, 1) instead of
 * random bytes: a seeded generator gives a repeatable id (simulations,
 * tests); the Node entry points pass bytes from node:crypto instead.
 * @throws nothing for a generator returning numbers in [0, 1)
 * @see BEP 20
 */
export function peerIdFromRandom (random: () => number, version: string = DEFAULT_VERSION): Uint8Array {
  const bytes = new Uint8Array(12)
  for (let i = 0; i < 12; i++) bytes[i] = Math.floor(random() * 256) & 0xff
  return generatePeerId(bytes, version)
}
