/**
 * A download's progress over time, for `npm run bench -- --timeline`: the
 * bytes a process has read (`rchar` of /proc/<pid>/io), sampled at a fixed
 * period. Node reads sockets and files with read(2), which that counter
 * counts; libtorrent receives with recvmsg(2), which it does not, so the
 * timeline is kept for rxtorrent only. Linux only: elsewhere, and for a
 * process that cannot be found, it records nothing.
 */
import { readFile } from 'node:fs/promises'

/** The children of `pid` (Linux 3.5+), empty when unknown. */
async function childrenOf (pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  return text.trim().split(/\s+/).filter((s) => s !== '').map(Number)
}

/** The first process named `comm` at or below `root` (breadth first), if any. */
async function findProcess (root: number, comm: string): Promise<number | undefined> {
  const queue = [root]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === comm) return pid
    queue.push(...await childrenOf(pid))
  }
  return undefined
}

/** Megabytes (10^6 bytes) read in each period by one process, from its start to its exit. */
export class ReadTimeline {
  readonly #periodMs: number
  readonly #samples: number[] = []
  #timer: NodeJS.Timeout | undefined
  #pid: number | undefined
  #last = 0

  constructor (periodMs = 100) {
    this.#periodMs = periodMs
  }

  /** Sample the first process named `comm` at or below `root` (a wrapper such as GNU time, or the process itself). */
  start (root: number, comm: string): void {
    this.#timer = setInterval(() => { void this.#sample(root, comm) }, this.#periodMs)
  }

  async #sample (root: number, comm: string): Promise<void> {
    this.#pid ??= await findProcess(root, comm)
    if (this.#pid === undefined) { this.#samples.push(0); return }
    const io = await readFile(`/proc/${this.#pid}/io`, 'utf8').catch(() => '')
    const rchar = Number(/rchar: (\d+)/.exec(io)?.[1] ?? Number.NaN)
    if (Number.isNaN(rchar)) return
    this.#samples.push((rchar - this.#last) / 1e6)
    this.#last = rchar
  }

  /** Stop sampling; the megabytes read in each period, in order. */
  stop (): number[] {
    clearInterval(this.#timer)
    return this.#samples
  }
}
