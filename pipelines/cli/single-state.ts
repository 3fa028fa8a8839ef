import { asyncScheduler } from 'rxjs'
import type { Torrent } from '../../lib/metainfo/types.js'
import type { TorrentWarning } from '../progress-types.js'
import type { CheckResume } from '../runtime-status.js'
import { nodeResumeStore } from '../session.js'
import { ResumeKeeper } from '../session/resume-keeper.js'
import type { TorrentRuntime } from '../torrent-runtime.js'

/** Resume data for a one-torrent `download` or `seed`: what to pass to the run, and what to call once it has ended. */
export interface SingleTorrentState {
  /** Options for `download`/`seed`: the resume verdict and the hook that keeps the record while the torrent runs. */
  readonly runOptions: { readonly resume?: CheckResume, readonly onRuntime: (rt: TorrentRuntime) => void }
  /** Write the record one last time (after the files are closed). */
  readonly close: () => Promise<void>
}

/**
 * The one-torrent commands keep resume data as a session does (`--state DIR`,
 * default `$XDG_STATE_HOME/rxtorrent`; `--no-state`: `stateDir` undefined,
 * none kept): the record read before the run (a restart whose files match
 * it checks nothing), written every 30 s while the torrent runs and at the
 * end. A record that does not fit, or a folder that cannot be written, is a
 * warning; the run goes on as without.
 */
export async function singleTorrentState (stateDir: string | undefined, torrent: Torrent, out: string, warn: (w: TorrentWarning) => void): Promise<SingleTorrentState | undefined> {
  if (stateDir === undefined) return undefined
  const keeper = new ResumeKeeper(nodeResumeStore(stateDir), torrent, out, { warn, now: () => asyncScheduler.now() })
  const resume = await keeper.plan()
  return {
    runOptions: {
      ...(resume === undefined ? {} : { resume }),
      onRuntime: (rt) => { keeper.attach(rt, asyncScheduler) }
    },
    close: async () => { await keeper.detach() }
  }
}
