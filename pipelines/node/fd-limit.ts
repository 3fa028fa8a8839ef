import { readFileSync } from 'node:fs'
import { DEFAULT_MAX_OPEN_FILES } from './open-file-budget.js'

/**
 * The soft limit on open descriptors from a `/proc/<pid>/limits` text
 * (`Max open files  1024  524288  files`), or undefined when the text has
 * no such line or says `unlimited`.
 */
export function parseOpenFilesLimit (limits: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits)
  if (m === null || m[1] === 'unlimited') return undefined
  const soft = Number(m[1])
  return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined
}

/**
 * How many files a storage keeps open by default when the process may hold
 * `softLimit` descriptors: a quarter of them, at most
 * {@link DEFAULT_MAX_OPEN_FILES} and at least 4, so that sockets (peers,
 * the listener, trackers) keep the other three quarters. Unknown limit:
 * {@link DEFAULT_MAX_OPEN_FILES}.
 */
export function openFilesFor (softLimit: number | undefined): number {
  if (softLimit === undefined) return DEFAULT_MAX_OPEN_FILES
  return Math.max(4, Math.min(DEFAULT_MAX_OPEN_FILES, Math.floor(softLimit / 4)))
}

let cached: number | undefined

/**
 * The default `maxOpenFiles` for this process: {@link openFilesFor} of the
 * soft `RLIMIT_NOFILE` read from `/proc/self/limits` (Linux), else
 * {@link DEFAULT_MAX_OPEN_FILES}. Read once.
 */
export function defaultMaxOpenFiles (): number {
  if (cached !== undefined) return cached
  let soft: number | undefined
  try {
    soft = parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'))
  } catch {
    soft = undefined
  }
  cached = openFilesFor(soft)
  return cached
}
