import { interval, type SchedulerLike, type Subscription } from 'rxjs'
import { encode } from '../../lib/bencode/index.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { Bitfield } from '../../lib/pieces/bitfield.js'
import { decodeResume, encodeResume, type ResumeFile } from '../../lib/session/resume-data.js'
import { resumePlan } from '../../lib/session/resume-plan.js'
import type { TorrentWarning } from '../progress-types.js'
import type { CheckResume } from '../runtime-status.js'

/** Where a session keeps its state (Node's: a `StateDir` and `fs.stat`). */
export interface ResumeStore {
  /** The bytes of a state file, undefined when there is none. */
  read: (name: string) => Promise<Uint8Array | undefined>
  /** Write atomically: after a crash the old bytes or the new, never torn. */
  write: (name: string, bytes: Uint8Array) => Promise<void>
  /** Delete a state file (nothing when absent). */
  remove: (name: string) => Promise<void>
  /** Each file's size and mtime now (undefined: missing), in torrent order. */
  fileStats: (torrent: Torrent, out: string) => Promise<Array<ResumeFile | undefined>>
}

/** What a resume record is taken from: a running torrent (`TorrentRuntime`). */
export interface ResumeSource {
  /** `checking` until the start-up check is done. */
  readonly state: string
  /** The verified pieces. */
  readonly have: Bitfield
}

/** How often a running torrent's resume record is written, at most. */
export const RESUME_SAVE_INTERVAL_MS = 30_000

/**
 * One torrent's resume data: read and checked at start (a record that does
 * not fit is a warning and a full check, never trusted), written atomically
 * every 30 s while the torrent runs and when it stops, with the metainfo
 * beside it. A store that fails (read-only, full) is a warning once; the
 * torrent goes on.
 */
export class ResumeKeeper {
  readonly #store: ResumeStore
  readonly #torrent: Torrent
  readonly #out: string
  readonly #warn: (w: TorrentWarning) => void
  readonly #now: () => number
  #have: (() => Bitfield | undefined) | undefined
  #timer: Subscription | undefined
  #warned = false
  /** The verified pieces the stored record holds (read at start or written since); a save with the same writes nothing. */
  #stored: Bitfield | undefined

  readonly #intervalMs: number

  constructor (store: ResumeStore, torrent: Torrent, out: string, options: { warn: (w: TorrentWarning) => void, now: () => number, intervalMs?: number }) {
    this.#intervalMs = options.intervalMs ?? RESUME_SAVE_INTERVAL_MS
    this.#store = store
    this.#torrent = torrent
    this.#out = out
    this.#warn = options.warn
    this.#now = options.now
  }

  get #name (): string { return `${this.#torrent.infoHashHex}.resume` }

  /** What the start may trust: undefined (check everything) without a usable record. */
  async plan (): Promise<CheckResume | undefined> {
    let bytes: Uint8Array | undefined
    try {
      bytes = await this.#store.read(this.#name)
      if (bytes === undefined) return undefined
      const t = this.#torrent
      const record = decodeResume(bytes, { infoHash: t.infoHash, pieceCount: t.pieceCount, fileCount: t.files.length })
      const plan = resumePlan(record, await this.#store.fileStats(t, this.#out), t.files, t.pieceLength)
      // Files as recorded: the record stands until a piece is added.
      if (plan.changedFiles.length === 0) this.#stored = record.have
      if (plan.changedFiles.length > 0) this.#warn({ type: 'warning', message: `${t.name}: ${plan.changedFiles.length} file(s) changed since the resume data was saved; their pieces are checked again` })
      return { trusted: plan.trusted, recheck: plan.recheck }
    } catch (err) {
      this.#warn({ type: 'warning', message: `${this.#torrent.name}: resume data not used (${err instanceof Error ? err.message : String(err)}); every piece is checked`, ...(err instanceof Error ? { error: err } : {}) })
      return undefined
    }
  }

  /**
   * Keep the metainfo (unless the store has it already), then save the
   * runtime's verified pieces (none while it still checks) every 30 s (the
   * interval option) until `detach`. A start that trusted a stored record
   * leaves the metainfo as well: it was kept with that record.
   */
  attach (runtime: ResumeSource, scheduler: SchedulerLike): void {
    this.#have = () => runtime.state === 'checking' ? undefined : runtime.have
    if (this.#stored === undefined) this.#keepMetainfo()
    this.#timer?.unsubscribe()
    this.#timer = interval(this.#intervalMs, scheduler).subscribe(() => { void this.save() })
  }

  #keepMetainfo (): void {
    void this.#guard(async () => {
      const name = `${this.#torrent.infoHashHex}.torrent`
      const bytes = metainfoBytes(this.#torrent)
      if (!sameBytes(await this.#store.read(name), bytes)) await this.#store.write(name, bytes)
    })
  }

  /**
   * Write the record now (the verified pieces, then each file's size and
   * mtime), unless it would say what the stored one says: pieces are written
   * to the files only once verified, so with the same pieces the files are
   * as recorded.
   */
  async save (): Promise<void> {
    const have = this.#have?.()
    if (have === undefined) return
    if (this.#stored !== undefined && sameBytes(this.#stored.bytes, have.bytes)) return
    const snapshot = have.clone()
    await this.#guard(async () => {
      const stats = await this.#store.fileStats(this.#torrent, this.#out)
      // A file missing now gives size 0 and mtime 0: its pieces are checked at the next start.
      const files = stats.map((s) => s ?? { size: 0, mtimeMs: 0 })
      await this.#store.write(this.#name, encodeResume({ infoHash: this.#torrent.infoHash, have: snapshot, files, savedAt: this.#now() }))
      this.#stored = snapshot
    })
  }

  /** Save once more and stop saving. */
  async detach (): Promise<void> {
    this.#timer?.unsubscribe()
    this.#timer = undefined
    await this.save()
    this.#have = undefined
  }

  /** Forget the torrent's state files. */
  async forget (): Promise<void> {
    this.#stored = undefined
    await this.#guard(async () => {
      await this.#store.remove(this.#name)
      await this.#store.remove(`${this.#torrent.infoHashHex}.torrent`)
    })
  }

  async #guard (fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      if (this.#warned) return
      this.#warned = true
      this.#warn({ type: 'warning', message: `${this.#torrent.name}: state not saved (${err instanceof Error ? err.message : String(err)}); the torrent goes on`, ...(err instanceof Error ? { error: err } : {}) })
    }
  }
}

function sameBytes (a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A .torrent for `t`: its info dictionary as received, its trackers and web seeds. */
export function metainfoBytes (t: Torrent): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode('d')]
  const pair = (key: string, value: Parameters<typeof encode>[0]): void => { parts.push(encode(key), encode(value)) }
  const first = t.announce[0]?.[0]
  if (first !== undefined) pair('announce', first)
  if (t.announce.length > 0) pair('announce-list', t.announce.map((tier) => [...tier]))
  parts.push(encode('info'), t.infoBytes)
  if (t.urlList.length > 0) pair('url-list', [...t.urlList])
  parts.push(new TextEncoder().encode('e'))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
