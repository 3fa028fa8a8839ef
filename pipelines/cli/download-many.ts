import { UsageError } from '../../lib/errors.js'
import type { PeerAddress } from '../../lib/transport/types.js'
import { createSession } from '../session.js'
import type { AddTorrentOptions, Session } from '../session/session.js'
import type { SessionTorrent } from '../session/session-entry.js'
import type { CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, exitCodeForSignal, reasonOf } from './exit-codes.js'
import { loadInput, printTolerated, type LoadedInput } from './load-input.js'
import type { OutputMode } from './progress-reporter.js'
import type { Outcome } from './run-until-stopped.js'
import type { SeedLimits } from './seed-limits.js'
import { SessionReporter } from './session-reporter.js'
import { routeWarning, sessionListening, TorrentSlot, watchSession, type SessionWatch } from './session-run.js'

/** What `download` runs in a session: its inputs and the flags that apply to each torrent. */
export interface ManyDownloadPlan {
  readonly inputs: readonly string[]
  readonly out: string
  readonly peers: readonly PeerAddress[]
  /** `--port`: absent, the session listens on any free port. */
  readonly port?: number | undefined
  readonly host?: string | undefined
  readonly downloadLimit?: number | undefined
  readonly uploadLimit?: number | undefined
  /** Keep seeding after completion (`--seed` or a seeding limit). */
  readonly seeding: boolean
  readonly limits: SeedLimits
  readonly directIo: boolean
  /** Resume data here; none when undefined. */
  readonly stateDir: string | undefined
  readonly mode: OutputMode
}

/**
 * `rxtorrent download a.torrent b.torrent "magnet:?…" --out DIR`: every
 * torrent in one session on one port, each saved under `--out`, its progress
 * on its own line. Every input is read before any network work (a bad one:
 * exit 2). Resolves 0 once every torrent is complete (with `--seed`: after a
 * signal once all are complete, or once each has reached its seeding
 * limit); 1 when any cannot finish (each named on stderr) or on a runtime
 * failure; 130/143 for SIGINT/SIGTERM before every torrent completed.
 * @throws UsageError for bad or repeated inputs; RxTorrentError `port-in-use`
 */
export async function downloadMany (plan: ManyDownloadPlan, io: CliIo): Promise<number> {
  const loaded = await loadAll(plan.inputs, io)
  const reporter = new SessionReporter(plan.mode, io.stdout, io.stderr, { now: () => Date.now() })
  for (const [input, l] of loaded) reportInput(input, l, reporter, io)
  const slots = loaded.map(([, l]) => l.kind === 'torrent'
    ? new TorrentSlot(l.torrent.infoHashHex, l.torrent.name, plan.limits)
    : new TorrentSlot(l.magnet.infoHashHex, l.magnet.name ?? l.magnet.infoHashHex.slice(0, 12), plan.limits, { magnet: true }))
  const host = plan.host ?? '0.0.0.0'
  const session = createSession({
    port: plan.port ?? 0,
    host,
    ...(plan.stateDir === undefined ? {} : { stateDir: plan.stateDir }),
    onWarning: (w) => { routeWarning(w, slots, reporter) }
  })
  try {
    await sessionListening(session, host, plan.port ?? 0)
  } catch (e) {
    await session.close()
    throw e
  }
  const watch = watchSession(session, slots, reporter, io, () => decide(session, slots, reporter, plan.seeding))
  loaded.forEach(([, l], i) => { addTo(session, l, slots[i] as TorrentSlot, plan, watch) })
  watch.poke()
  const outcome = await watch.outcome
  await session.close()
  return finish(outcome, slots, reporter)
}

/** Every input read and parsed, refusing one torrent given twice. @throws as `loadInput`, UsageError `duplicate-torrent` */
async function loadAll (inputs: readonly string[], io: CliIo): Promise<Array<[string, LoadedInput]>> {
  const seen = new Map<string, string>()
  const loaded: Array<[string, LoadedInput]> = []
  for (const input of inputs) {
    const l = await loadInput(input, io, { warn: false })
    const hash = l.kind === 'torrent' ? l.torrent.infoHashHex : l.magnet.infoHashHex
    const first = seen.get(hash)
    if (first !== undefined) throw new UsageError('duplicate-torrent', `${input} is the same torrent as ${first} (info-hash ${hash})`)
    seen.set(hash, input)
    loaded.push([input, l])
  }
  return loaded
}

/** What a .torrent needed tolerated, and what a magnet parser dropped: warnings, as for one torrent. */
function reportInput (input: string, l: LoadedInput, reporter: SessionReporter, io: CliIo): void {
  if (l.kind === 'magnet') {
    for (const message of l.magnet.warnings ?? []) reporter.warning({ type: 'warning', message: `magnet: ${message}`, infoHash: l.magnet.infoHashHex })
    return
  }
  if (reporter.mode !== 'json') { printTolerated(l.torrent, input, io); return }
  for (const line of l.torrent.tolerated ?? []) reporter.warning({ type: 'warning', message: `${input}: ${line}`, infoHash: l.torrent.infoHashHex })
}

/**
 * Add one input: a .torrent at once, a magnet once its metadata is fetched
 * (a fetch that fails is that torrent's failure). A torrent without a port
 * of ours to come in by (no `--port`, no tracker) fails once its peers have,
 * as the single-torrent download does.
 */
function addTo (session: Session, l: LoadedInput, slot: TorrentSlot, plan: ManyDownloadPlan, watch: SessionWatch): void {
  const trackers = l.kind === 'torrent' ? l.torrent.announce.length > 0 : l.magnet.trackers.length > 0
  const options: AddTorrentOptions = {
    out: plan.out,
    peers: plan.peers,
    seed: plan.seeding,
    directIo: plan.directIo,
    waitForIncoming: plan.port !== undefined || trackers,
    ...(plan.downloadLimit === undefined ? {} : { downloadLimit: plan.downloadLimit }),
    ...(plan.uploadLimit === undefined ? {} : { uploadLimit: plan.uploadLimit })
  }
  const added = (entry: SessionTorrent): void => {
    slot.entry = entry
    slot.name = entry.torrent.name
    void entry.done.then(() => { slot.ended = true; watch.poke() })
    watch.poke()
  }
  if (l.kind === 'torrent') { added(session.add(l.torrent, options)); return }
  session.addMagnet(l.magnet, options).then(added, (e: unknown) => {
    slot.failure ??= `no metadata: ${reasonOf(e)}`
    watch.poke()
  })
}

/**
 * After each change: a `done` record for each torrent newly complete; a
 * seed that reached its limit is paused (its resume data kept); a torrent
 * that ended incomplete has failed. `'stop'` once every torrent is
 * complete (or stopped by its limit, when seeding) or failed.
 */
function decide (session: Session, slots: readonly TorrentSlot[], reporter: SessionReporter, seeding: boolean): 'stop' | undefined {
  for (const slot of slots) {
    const p = slot.progress
    if (p !== undefined && slot.complete && !slot.reported) { slot.reported = true; reporter.done(p) }
    if (p !== undefined && seeding && slot.complete && slot.stopped === undefined) {
      const why = slot.stopper.check(p)
      if (why !== undefined) { slot.stopped = why; reporter.done(p, why); void session.pause(slot.infoHash) }
    }
    if (slot.ended && !slot.complete) slot.failure ??= 'stopped before completing'
  }
  const over = slots.every((s) => s.failure !== undefined || (seeding ? s.stopped !== undefined : s.complete && s.ended))
  return over ? 'stop' : undefined
}

/** The exit code, with a line for each torrent that did not complete. */
function finish (outcome: Outcome, slots: readonly TorrentSlot[], reporter: SessionReporter): number {
  reporter.end()
  if (outcome.kind === 'error') {
    reporter.error(reasonOf(outcome.error), (outcome.error as { code?: string }).code)
    return exitCodeFor(outcome.error)
  }
  const failed = slots.filter((s) => s.failure !== undefined)
  if (outcome.kind === 'signal') {
    const incomplete = slots.filter((s) => s.failure === undefined && !s.complete)
    if (incomplete.length > 0) {
      const names = incomplete.map((s) => s.name).join(', ')
      reporter.error(`stopped by ${outcome.signal} before ${incomplete.length} of ${slots.length} torrents completed: ${names}`, 'interrupted')
      return exitCodeForSignal(outcome.signal)
    }
  }
  for (const s of failed) reporter.error(`${s.name} did not complete: ${s.failure ?? ''}`, 'incomplete', s.infoHash)
  return failed.length > 0 ? EXIT.FAILURE : EXIT.OK
}
