import { isRxTorrentError, UsageError } from '../../lib/errors.js'
import type { StopSignal } from './cli-io.js'

/** Exit codes of the CLI. */
export const EXIT = {
  OK: 0,
  /**
   * A runtime failure: no peer could complete the download, a disk error, a
   * port in use (an environment problem, not a bad argument), `seed` data
   * where no piece verifies, a .torrent URL that cannot be reached.
   */
  FAILURE: 1,
  /**
   * Bad arguments (an unknown flag, `--out` naming a file, a `--data` folder
   * that does not exist), or a torrent or magnet link that cannot be used
   * (not a torrent, v2-only, a .torrent URL answering an HTTP error or over
   * the size limit).
   */
  USAGE: 2,
  /** Stopped by SIGINT before completion (128 + 2). */
  SIGINT: 130,
  /** Stopped by SIGTERM before completion (128 + 15). */
  SIGTERM: 143
} as const

/** 2 for usage errors and rejected input (`disposition: 'reject'`), 1 for anything else. */
export function exitCodeFor (e: unknown): number {
  if (e instanceof UsageError) return EXIT.USAGE
  if (isRxTorrentError(e) && e.disposition === 'reject') return EXIT.USAGE
  return EXIT.FAILURE
}

/** 130 for SIGINT, 143 for SIGTERM. */
export function exitCodeForSignal (signal: StopSignal): number {
  return signal === 'SIGINT' ? EXIT.SIGINT : EXIT.SIGTERM
}

/** A one-line reason for an error. */
export function reasonOf (e: unknown): string {
  if (e instanceof Error) return e.message.length > 0 ? e.message : e.name
  return String(e)
}
