import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { RxTorrentError } from '../../lib/errors.js'
import type { Torrent } from '../../lib/metainfo/types.js'
import { superseeding } from '../../lib/torrent/strategies.js'
import { createSession } from '../session.js'
import type { AddTorrentOptions, Session } from '../session/session.js'
import type { CliIo } from './cli-io.js'
import { EXIT, exitCodeFor, reasonOf } from './exit-codes.js'
import { loadTorrent, printTolerated } from './load-input.js'
import { formatBytes } from './progress.js'
import type { OutputMode } from './progress-reporter.js'
import type { SeedLimits } from './seed-limits.js'
import { SessionReporter } from './session-reporter.js'
import { routeWarning, sessionListening, TorrentSlot, watchSession } from './session-run.js'

/** What `seed` runs in a session: the torrents, where their data is, and the flags that apply to each. */
export interface ManySeedPlan {
  /** .torrent files named on the command line. */
  readonly inputs: readonly string[]
  /** `--torrents DIR`: every `*.torrent` directly in it, too. */
  readonly torrentsDir?: string | undefined
  readonly data: string
  readonly port: number
  readonly host: string
  readonly uploadLimit?: number | undefined
  readonly uploadSlots: number
  readonly superseed: boolean
  readonly limits: SeedLimits
  /** Resume data here; none when undefined. */
  readonly stateDir: string | undefined
  readonly mode: OutputMode
}

/** A torrent to seed and where it came from. */
interface Source { readonly source: string, readonly torrent: Torrent }

/**
 * `rxtorrent seed a.torrent b.torrent --data DIR` and `seed --torrents DIR
 * --data DIR`: every torrent in one session on one port, each checked
 * against its data under `--data`. As Transmission and libtorrent do with a
 * torrent whose files are not there, a torrent without data is reported
 * (a warning) and left out, the others are seeded: one whose file or
 * folder `DATA/<name>` does not exist is skipped before the check, one
 * where no piece verifies after it; a .torrent in the folder that cannot be
 * read is skipped too (one named on the command line is an error, exit 2).
 * Resolves 0 after SIGINT/SIGTERM or once every torrent reached its seeding
 * limit; 1 when no torrent can be seeded, or on a runtime failure.
 * @throws UsageError for a bad .torrent named on the command line
 */
export async function seedMany (plan: ManySeedPlan, io: CliIo): Promise<number> {
  const reporter = new SessionReporter(plan.mode, io.stdout, io.stderr, { now: () => Date.now() })
  const found = await withData(await loadSources(plan, io, reporter), plan.data, reporter)
  if (found.length === 0) throw nothingToSeed(plan.data)
  const slots = found.map(({ torrent }) => new TorrentSlot(torrent.infoHashHex, torrent.name, plan.limits))
  const session = createSession({
    port: plan.port,
    host: plan.host,
    ...(plan.stateDir === undefined ? {} : { stateDir: plan.stateDir }),
    onWarning: (w) => { routeWarning(w, slots, reporter) }
  })
  let address: string
  try {
    address = await sessionListening(session, plan.host, plan.port)
  } catch (e) {
    await session.close()
    throw e
  }
  const options: AddTorrentOptions = {
    out: plan.data,
    seed: true,
    uploadSlots: plan.uploadSlots,
    ...(plan.uploadLimit === undefined ? {} : { uploadLimit: plan.uploadLimit }),
    ...(plan.superseed ? { seedingMode: superseeding() } : {})
  }
  const watch = watchSession(session, slots, reporter, io, () => decide(session, slots, reporter, plan.data, address))
  found.forEach(({ torrent }, i) => { (slots[i] as TorrentSlot).entry = session.add(torrent, options) })
  watch.poke()
  const outcome = await watch.outcome
  await session.close()
  reporter.end()
  if (outcome.kind === 'error') {
    reporter.error(reasonOf(outcome.error), (outcome.error as { code?: string }).code)
    return exitCodeFor(outcome.error)
  }
  return EXIT.OK
}

/** The named .torrent files (a bad one throws), then the folder's (a bad one is a warning); one info-hash once. */
async function loadSources (plan: ManySeedPlan, io: CliIo, reporter: SessionReporter): Promise<Source[]> {
  const sources: Source[] = []
  const add = (source: string, torrent: Torrent): void => {
    const twin = sources.find((s) => s.torrent.infoHashHex === torrent.infoHashHex)
    if (twin !== undefined) { reporter.warning({ type: 'warning', message: `${source} is the same torrent as ${twin.source}; seeded once`, infoHash: torrent.infoHashHex }); return }
    if (reporter.mode === 'json') for (const line of torrent.tolerated ?? []) reporter.warning({ type: 'warning', message: `${source}: ${line}`, infoHash: torrent.infoHashHex })
    else printTolerated(torrent, source, io)
    sources.push({ source, torrent })
  }
  for (const input of plan.inputs) add(input, await loadTorrent(input, io, { warn: false }))
  for (const file of plan.torrentsDir === undefined ? [] : await torrentFiles(plan.torrentsDir)) {
    try {
      add(file, await loadTorrent(file, io, { warn: false }))
    } catch (e) {
      reporter.warning({ type: 'warning', message: `${reasonOf(e)}; skipped` })
    }
  }
  return sources
}

/**
 * The `*.torrent` files directly in `dir`, sorted by name.
 * @throws RxTorrentError `cannot-read` (exit 1) when the folder cannot be listed
 */
async function torrentFiles (dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true })
    return entries.filter((e) => !e.isDirectory() && /\.torrent$/i.test(e.name)).map((e) => join(dir, e.name)).sort()
  } catch (e) {
    throw new RxTorrentError('cannot-read', `--torrents ${dir}: ${reasonOf(e)}`, { disposition: 'fatal', cause: e })
  }
}

/** The torrents whose file or folder is under `data`; each other one is a warning. */
async function withData (sources: readonly Source[], data: string, reporter: SessionReporter): Promise<Source[]> {
  const kept: Source[] = []
  for (const s of sources) {
    const path = join(data, s.torrent.name)
    if (await stat(path).then(() => true, () => false)) kept.push(s)
    else reporter.warning({ type: 'warning', message: `${s.source}: no data for ${s.torrent.name} in ${data} (no ${path}); skipped`, infoHash: s.torrent.infoHashHex })
  }
  return kept
}

function nothingToSeed (data: string): RxTorrentError {
  return new RxTorrentError('nothing-to-seed', `no torrent has data in ${data}: nothing to seed (--data is the folder that holds each torrent's file or folder)`, { disposition: 'fatal' })
}

/**
 * After each change: once a torrent is checked, its verified count and
 * listening line (none verified: a warning, and it is removed); a torrent
 * at its seeding limit is paused. `'stop'` once every torrent seeded has
 * stopped by its limit.
 * @throws RxTorrentError `nothing-to-seed` once no torrent is left
 */
function decide (session: Session, slots: readonly TorrentSlot[], reporter: SessionReporter, data: string, address: string): 'stop' | undefined {
  for (const slot of slots) {
    const p = slot.progress
    if (p === undefined || slot.skipped !== undefined) continue
    if (!slot.reported && p.state !== 'checking') {
      slot.reported = true
      if (p.pieceCount > 0 && p.piecesVerified === 0) {
        slot.skipped = `no piece verified in ${data}`
        reporter.warning({ type: 'warning', message: `no piece of ${p.name} verified in ${data}; skipped`, infoHash: p.infoHash })
        void session.remove(slot.infoHash)
        continue
      }
      reporter.say(`verified ${p.piecesVerified}/${p.pieceCount} pieces of ${p.name} (${formatBytes(p.bytesVerified)} of ${formatBytes(p.length)})`)
      if (p.piecesVerified < p.pieceCount) reporter.warning({ type: 'warning', message: `${p.name}: ${p.pieceCount - p.piecesVerified} pieces are missing or bad in ${data}; serving the ${p.piecesVerified} that verified`, infoHash: p.infoHash })
      reporter.say(`seeding ${p.name} (${p.infoHash}) on ${address}`)
      reporter.record({ type: 'listening', infoHash: p.infoHash, name: p.name, address })
    }
    const why = slot.stopped === undefined && slot.reported ? slot.stopper.check(p) : undefined
    if (why !== undefined) { slot.stopped = why; reporter.done(p, why); void session.pause(slot.infoHash) }
  }
  const live = slots.filter((s) => s.skipped === undefined)
  if (live.length === 0) throw nothingToSeed(data)
  return live.every((s) => s.stopped !== undefined) ? 'stop' : undefined
}
