/** What a peer id says about the client that made it, for display only. */
export interface PeerIdInfo {
  /** Client name, or `unknown`. */
  readonly client: string
  /** Version decoded from the id, when the style carries one. */
  readonly version?: string
  readonly style: 'azureus' | 'shadow' | 'mainline' | 'unknown'
  /** The raw client code (`LT`, `S`, `M`…), when the style has one. */
  readonly code?: string
}

/** How the four version characters of an Azureus-style id are read. */
type VersionRule = (v: string) => string | undefined

/**
 * Each character is one component in base 36 (`0-9`, then `A`=10…),
 * all four kept: `-LT2080-` → 2.0.8.0, `-lt0D60-` → 0.13.6.0. The default.
 */
const fourDotted: VersionRule = (v) => components(v, 4)
/** The first three characters as components: `-qB4500-` → 4.5.0, `-DE13F0-` → 1.3.15. */
const threeDotted: VersionRule = (v) => components(v, 3)
/** µTorrent and mainline: three components, then the build letter if not `0`: `-UT355B-` → 3.5.5B. */
const utorrent: VersionRule = (v) => {
  const base = components(v, 3)
  return base === undefined || v[3] === '0' ? base : `${base}${v[3] as string}`
}
/** Two two-digit numbers: `-WW0102-` → 1.2. */
const pairs: VersionRule = (v) => /^\d{4}$/.test(v) ? `${Number(v.slice(0, 2))}.${Number(v.slice(2))}` : undefined
/** BitComet: two digits major, two digits minor kept as written: `-BC0150-` → 1.50. */
const bitcomet: VersionRule = (v) => /^\d{4}$/.test(v) ? `${Number(v.slice(0, 2))}.${v.slice(2)}` : undefined
/**
 * Transmission, following its own history: `-TR0006-` → 0.6, `-TR0072-` →
 * 0.72, `-TR2940-` → 2.94 and `-TR300Z-` → 3.00+ (major digit, two minor
 * digits, `Z`/`X` for a development build), and from 4.0 on `-TR4050-` →
 * 4.0.5 (major.minor.patch, `Z`/`X` → `-dev`).
 */
const transmission: VersionRule = (v) => {
  if (!/^[0-9][0-9A-Za-z]{3}$/.test(v)) return undefined
  if (v.startsWith('000')) return `0.${v[3] as string}`
  if (v.startsWith('00')) return /^\d\d$/.test(v.slice(2)) ? `0.${v.slice(2)}` : undefined
  const dev = v[3] === 'Z' || v[3] === 'X'
  if (v[0] as string <= '3') {
    if (!/^\d\d$/.test(v.slice(1, 3))) return undefined
    return `${v[0] as string}.${v.slice(1, 3)}${dev ? '+' : ''}`
  }
  const parts = components(v.slice(0, 3), 3)
  return parts === undefined ? undefined : `${parts}${dev ? '-dev' : ''}`
}

/** Azureus-style codes: `-XX1234-`. @see BEP 20 */
const AZUREUS: Readonly<Record<string, readonly [string, VersionRule?]>> = {
  RX: ['rxtorrent'],
  LT: ['libtorrent (Rasterbar)'],
  lt: ['libTorrent (rakshasa)'],
  TR: ['Transmission', transmission],
  qB: ['qBittorrent', threeDotted],
  UT: ['µTorrent', utorrent],
  UM: ['µTorrent Mac', utorrent],
  UW: ['µTorrent Web', utorrent],
  BT: ['BitTorrent', utorrent],
  DE: ['Deluge', threeDotted],
  AZ: ['Vuze (Azureus)'],
  BI: ['BiglyBT'],
  BC: ['BitComet', bitcomet],
  WW: ['WebTorrent', pairs],
  WD: ['WebTorrent Desktop', pairs],
  KT: ['KTorrent', threeDotted],
  FD: ['Free Download Manager'],
  SD: ['Thunder (Xunlei)'],
  XL: ['Xunlei'],
  TT: ['TuoTu'],
  RT: ['Retriever'],
  PI: ['PicoTorrent'],
  FW: ['FrostWire'],
  LW: ['LimeWire'],
  MO: ['MonoTorrent'],
  SZ: ['Shareaza'],
  TL: ['Tribler'],
  HL: ['Halite'],
  KG: ['KGet'],
  BF: ['BitFlu'],
  FL: ['Folx'],
  BN: ['Baidu Netdisk'],
  QD: ['QQDownload'],
  AG: ['Ares'],
  AR: ['Arctic'],
  BB: ['BitBuddy'],
  XX: ['Xtorrent'],
  ZT: ['ZipTorrent']
}

/** Shadow-style codes: one letter, up to five version characters, dashes. */
const SHADOW: Readonly<Record<string, string>> = {
  A: 'ABC',
  O: 'Osprey Permaseed',
  Q: 'BTQueue',
  R: 'Tribler',
  S: 'Shad0w',
  T: 'BitTornado',
  U: 'UPnP NAT Bit Torrent'
}

/**
 * Identify the client behind a peer id, for display. Recognises:
 * Azureus style `-XX1234-` (BEP 20; versions per client, see the rules
 * above), aria2 `A2-1-36-0-` → 1.36.0, Shadow style `S58B-----` → Shad0w
 * 5.8.11 (`0-9`, `A-Z` = 10–35, `a-z` = 36–61, `.` = 62), Mainline
 * `M4-4-0--` → BitTorrent 4.4.0, and BitComet's old `exbc` ids. Anything
 * else is `{ client: 'unknown', style: 'unknown' }`. Heuristic by nature.
 * @throws nothing: total on any input, of any length.
 * @see BEP 20
 */
export function parsePeerId (id: Uint8Array): PeerIdInfo {
  const text = ascii(id.subarray(0, 20))
  if (text[0] === '-' && text[7] === '-' && /^[0-9A-Za-z]{2}$/.test(text.slice(1, 3))) {
    const code = text.slice(1, 3)
    const entry = AZUREUS[code]
    const version = (entry?.[1] ?? fourDotted)(text.slice(3, 7))
    return withVersion({ client: entry?.[0] ?? 'unknown', style: 'azureus', code }, version)
  }
  const aria2 = /^A2-(\d{1,3})-(\d{1,3})-(\d{1,3})-/.exec(text)
  if (aria2 !== null) {
    return { client: 'aria2', version: `${Number(aria2[1])}.${Number(aria2[2])}.${Number(aria2[3])}`, style: 'azureus', code: 'A2' }
  }
  const mainline = /^M(\d{1,2})-(\d{1,2})-(\d{1,2})-/.exec(text.slice(0, 8))
  if (mainline !== null) {
    return { client: 'BitTorrent (mainline)', version: `${Number(mainline[1])}.${Number(mainline[2])}.${Number(mainline[3])}`, style: 'mainline', code: 'M' }
  }
  if (text.startsWith('exbc') && id.length >= 6) {
    return { client: 'BitComet', version: `${id[4] as number}.${String(id[5] as number).padStart(2, '0')}`, style: 'unknown', code: 'exbc' }
  }
  const shadow = /^([A-Za-z])([0-9A-Za-z.]{1,5})--/.exec(text)
  const shadowClient = shadow === null ? undefined : SHADOW[shadow[1] as string]
  if (shadow !== null && shadowClient !== undefined) {
    const version = Array.from(shadow[2] as string, shadowDigit).join('.')
    return { client: shadowClient, version, style: 'shadow', code: shadow[1] as string }
  }
  return { client: 'unknown', style: 'unknown' }
}

function withVersion (info: PeerIdInfo, version: string | undefined): PeerIdInfo {
  return version === undefined ? info : { ...info, version }
}

/** `count` base-36 components joined by dots, or undefined when a character is not alphanumeric. */
function components (v: string, count: number): string | undefined {
  const chars = v.slice(0, count)
  if (chars.length !== count || !/^[0-9A-Za-z]+$/.test(chars)) return undefined
  return Array.from(chars, (c) => String(parseInt(c, 36))).join('.')
}

function shadowDigit (c: string): number {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 55
  if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 61
  return 62
}

/** Printable ASCII bytes as text; every other byte becomes U+00FF, which no pattern matches. */
function ascii (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\u00ff'
  return s
}
