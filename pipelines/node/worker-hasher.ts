import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { RxTorrentError } from '../../lib/errors.js'
import type { Hasher } from '../../lib/storage/types.js'

/** Options of {@link workerHasher}. */
export interface WorkerHasherOptions {
  /** Worker threads; default 1 (the main thread keeps the network and the disk busy meanwhile). */
  readonly threads?: number
}

/** A {@link Hasher} whose work runs on worker threads, and a way to stop them. */
export interface WorkerHasher extends Hasher {
  /** SHA-1 of a whole buffer moved to a thread and back (see `Hasher`). */
  sha1Owned: (data: Uint8Array) => Promise<{ digest: Uint8Array, data: Uint8Array }>
  /** Jobs sent and not yet answered. */
  readonly pending: number
  /** Stop the threads; jobs still pending reject. Later calls hash on the calling thread. */
  close: () => Promise<void>
}

// The worker is plain JavaScript evaluated from a string, so it runs the same
// whether the library is loaded from TypeScript sources or compiled output.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
parentPort.on('message', (job) => {
  const h = createHash('sha1')
  if (job.owned !== undefined) {
    h.update(new Uint8Array(job.owned))
    const digest = h.digest()
    parentPort.postMessage({ id: job.id, digest: new Uint8Array(digest.buffer, digest.byteOffset, 20), owned: job.owned }, [job.owned])
    return
  }
  for (const [buffer, offset, length] of job.chunks) h.update(new Uint8Array(buffer, offset, length))
  const digest = h.digest()
  parentPort.postMessage({ id: job.id, digest: new Uint8Array(digest.buffer, digest.byteOffset, 20) })
})
`

interface Job { resolve: (d: Uint8Array, owned?: ArrayBuffer) => void, reject: (e: Error) => void }

/**
 * SHA-1 on worker threads, so verification runs beside the main thread's
 * network and disk work, without copying the data: `sha1Owned` moves a whole
 * buffer to a worker and back (transfer), and `sha1` hashes chunks that are
 * views of a `SharedArrayBuffer` in place. Other chunks given to `sha1` are
 * hashed on the calling thread at once (copying them would cost about what
 * hashing does). Jobs go to the threads in turn; a thread is referenced only while it
 * has work, so an idle hasher never keeps the process alive.
 * @see BEP 3 (piece hashes)
 */
export function workerHasher (options: WorkerHasherOptions = {}): WorkerHasher {
  const count = Math.max(1, options.threads ?? 1)
  const jobs = new Map<number, Job>()
  const load: number[] = []
  const workers: Worker[] = []
  let nextId = 0
  let closed = false
  let broken = false

  const fail = (err: Error): void => {
    for (const job of jobs.values()) job.reject(err)
    jobs.clear()
  }
  for (let i = 0; i < count; i++) {
    const w = new Worker(WORKER_SOURCE, { eval: true })
    load.push(0)
    w.on('message', (msg: { id: number, digest: Uint8Array, owned?: ArrayBuffer }) => {
      const job = jobs.get(msg.id)
      if (job === undefined) return
      jobs.delete(msg.id)
      load[i] = (load[i] ?? 1) - 1
      if (load[i] === 0) w.unref()
      job.resolve(new Uint8Array(msg.digest), msg.owned)
    })
    // A thread that fails or exits takes no more jobs: later ones hash inline.
    w.on('error', (err) => { broken = true; fail(new RxTorrentError('hasher-failed', `hash thread failed: ${err.message}`, { disposition: 'fatal', cause: err })) })
    w.on('exit', () => { broken = true; fail(new RxTorrentError('hasher-failed', 'hash thread exited', { disposition: 'fatal' })) })
    // After the listeners: adding a 'message' listener references the thread again.
    w.unref()
    workers.push(w)
  }

  /** Post a job to the least-loaded thread, referencing it while busy. */
  const send = (job: Job, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): void => {
    let pick = 0
    for (let i = 1; i < load.length; i++) if ((load[i] ?? 0) < (load[pick] ?? 0)) pick = i
    const w = workers[pick] as Worker
    const id = nextId++
    // Posting first: a buffer that cannot be moved (a WebAssembly memory's) throws here and leaves no job behind.
    w.postMessage({ id, ...message }, transfer)
    jobs.set(id, job)
    if (load[pick] === 0) w.ref()
    load[pick] = (load[pick] ?? 0) + 1
  }

  const inline = (chunks: readonly Uint8Array[]): Uint8Array => {
    const h = createHash('sha1')
    for (const c of chunks) h.update(c)
    return new Uint8Array(h.digest())
  }

  return {
    get pending () { return jobs.size },
    sha1 (chunks: readonly Uint8Array[]): Uint8Array | Promise<Uint8Array> {
      if (closed || broken || !chunks.every((c) => c.buffer instanceof SharedArrayBuffer)) return inline(chunks)
      return new Promise<Uint8Array>((resolve, reject) => {
        send({ resolve, reject }, { chunks: chunks.map((c) => [c.buffer, c.byteOffset, c.byteLength]) })
      })
    },
    async sha1Owned (data: Uint8Array): Promise<{ digest: Uint8Array, data: Uint8Array }> {
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
      if (closed || broken || !whole) return { digest: inline([data]), data }
      // Memory that cannot change threads (a WebAssembly memory's, which aligned
      // buffers for direct writes are) stays attached here: Node 20's postMessage
      // sends a copy, and the caller keeps its own buffer; other runtimes refuse
      // it before anything moved, and it is hashed here.
      const buffer = data.buffer as ArrayBuffer
      const stayed = (): boolean => buffer.byteLength > 0
      return await new Promise<{ digest: Uint8Array, data: Uint8Array }>((resolve, reject) => {
        send({
          resolve: (digest, owned) => { resolve({ digest, data: owned === undefined || stayed() ? data : new Uint8Array(owned) }) },
          reject
        }, { owned: buffer }, [buffer])
      }).catch((err: unknown) => {
        if (stayed()) return { digest: inline([data]), data }
        throw err
      })
    },
    async close (): Promise<void> {
      if (closed) return
      closed = true
      fail(new RxTorrentError('hasher-closed', 'the hasher was closed with pieces pending', { disposition: 'fatal' }))
      await Promise.all(workers.map(async (w) => await w.terminate()))
    }
  }
}

/** A piece buffer in shared memory, for `PieceAssembler`'s `allocate` with a {@link workerHasher}. */
export function sharedPieceBuffer (length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length))
}

let shared: WorkerHasher | undefined

/**
 * The process-wide {@link workerHasher} (one thread), created on first use
 * and shared by every torrent, like a session's hashing thread. Its thread is
 * unreferenced while idle, so it never keeps the process alive.
 */
export function sharedWorkerHasher (): WorkerHasher {
  shared ??= workerHasher()
  return shared
}
