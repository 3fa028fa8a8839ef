import type { Progress, TorrentWarning } from '../types.js'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * A byte count in IEC units: `512 B`, `1.5 KiB`, `23.4 MiB`, `120 GiB`
 * (one decimal below 100, none from 100). Negative or non-finite → `0 B`.
 */
export function formatBytes (n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B'
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++ }
  if (u === 0) return `${Math.round(v)} B`
  const text = v >= 99.95 ? Math.round(v).toString() : v.toFixed(1)
  return `${text} ${UNITS[u] as string}`
}

/** A rate in bytes per second: `1.2 MiB/s`. */
export function formatRate (bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/**
 * Time left, compact: `42s`, `3m07s`, `2h05m`, `4d03h`; `--` when unknown
 * (null, negative, not finite) and `>99d` beyond 99 days.
 */
export function formatEta (seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--'
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad2(Math.floor(s / 60) % 60)}m`
  if (s < 100 * 86400) return `${Math.floor(s / 86400)}d${pad2(Math.floor(s / 3600) % 24)}h`
  return '>99d'
}

/** `[#####-----]` with `width` cells inside the brackets; the fraction is clamped to 0..1 (NaN → 0). */
export function renderBar (fraction: number, width: number): string {
  const w = Math.max(0, Math.floor(width))
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  const full = Math.floor(f * w)
  return `[${'#'.repeat(full)}${'-'.repeat(w - full)}]`
}

/** Done fraction: pieces checked while checking, verified bytes otherwise. */
export function progressFraction (p: Progress): number {
  if (p.state === 'metadata') return 0
  if (p.state === 'checking') return p.pieceCount === 0 ? 1 : p.piecesChecked / p.pieceCount
  return p.length === 0 ? 1 : p.bytesVerified / p.length
}

/** `42.3%` (floored to one decimal, so 100% only when done). */
export function formatPercent (fraction: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0
  return `${(Math.floor(f * 1000) / 10).toFixed(1)}%`
}

/**
 * The redrawn terminal line: state, percent, bar, rates, ETA (while seeding:
 * bytes sent and the share ratio), peers, fitted
 * to `columns` (the bar shrinks first, then disappears).
 */
export function formatProgressBar (p: Progress, columns = 80): string {
  const f = progressFraction(p)
  const head = `${p.state.padEnd(11)} ${formatPercent(f).padStart(6)} `
  const what = p.state === 'seeding' ? `sent ${formatBytes(p.uploaded)} ratio ${formatRatio(p)}` : `ETA ${formatEta(p.state === 'downloading' ? p.eta : 0)}`
  const tail = ` ↓${formatRate(p.downloadRate)} ↑${formatRate(p.uploadRate)} ${what} peers ${p.peers}`
  const room = columns - 1 - head.length - tail.length - 2
  if (room < 5) return (head.trimEnd() + tail).slice(0, Math.max(0, columns - 1))
  return head + renderBar(f, Math.min(room, 40)) + tail
}

/**
 * Share ratio as aria2 counts it: bytes uploaded over the bytes we hold
 * (verified), two decimals; `0.00` while we hold nothing.
 */
export function formatRatio (p: Progress): string {
  return (p.bytesVerified > 0 ? p.uploaded / p.bytesVerified : 0).toFixed(2)
}

/** The plain (non-terminal) progress line, printed every few seconds; while seeding, or once anything was uploaded, it adds bytes uploaded and the share ratio. */
export function formatProgressLine (p: Progress): string {
  const f = progressFraction(p)
  const parts = [
    p.state,
    formatPercent(f),
    `${p.piecesVerified}/${p.pieceCount} pieces`,
    `${formatBytes(p.bytesVerified)}/${formatBytes(p.length)}`,
    `down ${formatRate(p.downloadRate)}`,
    `up ${formatRate(p.uploadRate)}`,
    // A seed, or a partial seed serving what it has: what went up and the share ratio.
    ...(p.state === 'seeding' || p.uploaded > 0 ? [`uploaded ${formatBytes(p.uploaded)}`, `ratio ${formatRatio(p)}`] : []),
    `peers ${p.peers}`
  ]
  if (p.state === 'downloading') parts.push(`eta ${formatEta(p.eta)}`)
  return parts.join(' ')
}

/** One `--json` line for a progress emission: `{"type":"progress",...}`. */
export function progressRecord (p: Progress): string {
  return JSON.stringify({ type: 'progress', ...p })
}

/**
 * The final `--json` line once every piece is verified (or, for a seed, once
 * it stops by a limit): `{"type":"done",...}`, with `stopped` saying why
 * seeding stopped when a `--seed-ratio`/`--seed-time` limit ended it.
 */
export function doneRecord (p: Progress | undefined, infoHash: string, name: string, stopped?: string): string {
  return JSON.stringify({ type: 'done', infoHash, name, ...(p === undefined ? {} : { piecesVerified: p.piecesVerified, pieceCount: p.pieceCount, length: p.length, downloaded: p.downloaded, uploaded: p.uploaded, elapsedMs: p.elapsedMs, hashFailures: p.hashFailures }), ...(stopped === undefined ? {} : { stopped }) })
}

/** A `--json` warning line: `{"type":"warning","message":…,"peer"?:…,"code"?:…}`. */
export function warningRecord (w: TorrentWarning): string {
  const code = (w.error as { code?: unknown } | undefined)?.code
  return JSON.stringify({ type: 'warning', message: w.message, ...(w.peer === undefined ? {} : { peer: w.peer }), ...(typeof code === 'string' ? { code } : {}) })
}

/** A `--json` error line: `{"type":"error","message":…,"code"?:…}`. */
export function errorRecord (message: string, code?: string): string {
  return JSON.stringify({ type: 'error', message, ...(code === undefined ? {} : { code }) })
}

/** The warning line on stderr: `rxtorrent: warning: <message>`. */
export function warningLine (w: TorrentWarning): string {
  return `rxtorrent: warning: ${escapeControls(oneLine(w.message))}`
}

/** Control and bidi characters as `\uXXXX`, so a hostile name cannot rewrite the terminal. */
export function escapeControls (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Collapse newlines so a message stays on one line. */
export function oneLine (text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

function pad2 (n: number): string {
  return n.toString().padStart(2, '0')
}
