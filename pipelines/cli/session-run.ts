import type { Subscription } from 'rxjs'
import { RxTorrentError, UsageError } from '../../lib/errors.js'
import { formatAddress } from '../../lib/transport/types.js'
import { defaultStateDir } from '../node/state-dir.js'
import type { Session } from '../session/session.js'
import type { SessionTorrent } from '../session/session-entry.js'
import { sessionTotals } from '../session/session-progress.js'
import type { Progress, TorrentWarning } from '../types.js'
import type { CliIo } from './cli-io.js'
import type { Outcome } from './run-until-stopped.js'
import type { SessionReporter, TorrentRow } from './session-reporter.js'
import { SeedStopper, type SeedLimits } from './seed-limits.js'

/**
 * The resume directory of a session command: `--state DIR`, none with
 * `--no-state`, else {@link defaultStateDir} (`$XDG_STATE_HOME/rxtorrent`,
 * else `~/.local/state/rxtorrent`).
 * @throws UsageError `bad-args` for both flags at once or an empty `--state`
 */
export function stateDirOption (values: { readonly state?: string | undefined, readonly 'no-state'?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (values['no-state'] === true && values.state !== undefined) throw new UsageError('bad-args', '--state and --no-state cannot be combined')
  if (values.state === '') throw new UsageError('bad-args', '--state needs a directory')
  if (values['no-state'] === true) return undefined
  return values.state ?? defaultStateDir(env)
}

/**
 * One torrent of a several-torrent command: what the display shows for it,
 * its session torrent once added, why it failed or stopped, and its seeding
 * limits.
 */
export class TorrentSlot {
  /** The info-hash, lowercase hex. */
  infoHash: string
  /** The torrent's name (a magnet's `dn` or short info-hash until its metadata comes). */
  name: string
  /** The session's torrent, once added. */
  entry: SessionTorrent | undefined
  /** Why it cannot finish (set once). */
  failure: string | undefined
  /** Why it was left out (`seed`: no data). */
  skipped: string | undefined
  /** Why it stopped seeding (a seeding limit). */
  stopped: string | undefined
  /** Its `done` was reported. */
  reported = false
  /** The torrent ended by itself (`SessionTorrent.done` settled). */
  ended = false
  readonly stopper: SeedStopper
  /** A magnet link: `metadata` until it is added. */
  readonly magnet: boolean

  constructor (infoHash: string, name: string, limits: SeedLimits, options: { readonly magnet?: boolean } = {}) {
    this.infoHash = infoHash
    this.name = name
    this.stopper = new SeedStopper(limits)
    this.magnet = options.magnet === true
  }

  /** Its latest progress once added. */
  get progress (): Progress | undefined {
    return this.entry?.progress
  }

  /** Every piece verified (a seed). */
  get complete (): boolean {
    const p = this.progress
    return p !== undefined && p.state !== 'checking' && p.state !== 'metadata' && (p.state === 'seeding' || p.piecesVerified === p.pieceCount)
  }

  /** The display's row. */
  row (): TorrentRow {
    const status = this.skipped !== undefined
      ? `skipped: ${this.skipped}`
      : this.failure !== undefined ? `failed: ${this.failure}` : this.stopped !== undefined ? 'stopped' : this.entry === undefined && this.magnet ? 'metadata' : undefined
    return { infoHash: this.infoHash, name: this.name, progress: this.progress, status }
  }
}

/** What {@link watchSession} returns: how the run ended, and a way to say that a slot changed. */
export interface SessionWatch {
  readonly outcome: Promise<Outcome>
  /** Redraw and decide again (a slot changed outside a progress emission). */
  poke: () => void
}

/**
 * Follow a session's progress until SIGINT/SIGTERM, `decide` answering
 * `'stop'`, or `decide` throwing (an error outcome). After each progress
 * emission and each {@link SessionWatch.poke}, the reporter gets every
 * slot's row and the totals over the slots not skipped. Stops listening for
 * signals once settled; the caller closes the session.
 */
export function watchSession (session: Session, slots: readonly TorrentSlot[], reporter: SessionReporter, io: CliIo, decide: () => 'stop' | undefined): SessionWatch {
  let settle: (o: Outcome) => void = () => {}
  let sub: Subscription | undefined
  let settled = false
  const stopListening = io.onSignal((signal) => { settle({ kind: 'signal', signal }) })
  const outcome = new Promise<Outcome>((resolve) => {
    settle = (o) => {
      if (settled) return
      settled = true
      stopListening()
      sub?.unsubscribe()
      resolve(o)
    }
  })
  const poke = (): void => {
    if (settled) return
    try {
      const shown = slots.filter((s) => s.skipped === undefined)
      reporter.update(slots.map((s) => s.row()), sessionTotals(shown.flatMap((s) => s.progress === undefined ? [] : [s.progress])))
      if (decide() === 'stop') settle({ kind: 'complete' })
    } catch (error) {
      settle({ kind: 'error', error })
    }
  }
  sub = session.progress$.subscribe({ next: poke, error: (error: unknown) => { settle({ kind: 'error', error }) } })
  return { outcome, poke }
}

/**
 * A session warning: the one that says a torrent stopped on an error is
 * that slot's failure (reported when the command ends), the one that says
 * the listener could not bind is left to {@link sessionListening}; others
 * are shown.
 */
export function routeWarning (w: TorrentWarning & { readonly infoHash?: string }, slots: readonly TorrentSlot[], reporter: SessionReporter): void {
  // A listener that could not bind is the command's error (see sessionListening), not also a warning.
  if (w.infoHash === undefined && w.message.startsWith('the session could not listen')) return
  const slot = slots.find((s) => s.infoHash === w.infoHash)
  if (slot !== undefined && w.message.startsWith(`torrent ${slot.entry?.torrent.name ?? slot.name} stopped: `)) {
    slot.failure ??= w.error?.message ?? w.message
    return
  }
  reporter.warning(w)
}

/**
 * Wait for the session's listener; a port in use is a failure the user can
 * act on (exit 1), as for the single-torrent commands.
 * @throws RxTorrentError `port-in-use`, `listen-failed`
 */
export async function sessionListening (session: Session, host: string, port: number): Promise<string> {
  try {
    return formatAddress(await session.listening)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    if (code === 'EADDRINUSE' || (e instanceof Error && /EADDRINUSE/.test(e.message))) {
      throw new RxTorrentError('port-in-use', `port ${port} is in use on ${host}: stop what uses it or choose another with --port`, { disposition: 'fatal', cause: e })
    }
    throw new RxTorrentError('listen-failed', `cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`, { disposition: 'fatal', cause: e })
  }
}
