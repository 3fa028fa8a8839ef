import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Observable, type Subscription } from 'rxjs'
import { RxTorrentError, UsageError } from '../lib/errors.js'
import type { Magnet } from '../lib/magnet/types.js'
import type { Torrent } from '../lib/metainfo/types.js'
import type { PiecePicker } from '../lib/pieces/piece-picker.js'
import { sequentialPicker } from '../lib/pieces/sequential-picker.js'
import { readFileStream } from '../operators/read-file-stream.js'
import { download } from './download.js'
import { downloadMagnet } from './download-magnet.js'
import type { TorrentRuntime } from './torrent-runtime.js'
import type { DownloadOptions, Progress } from './types.js'

/** How long a request waits for a magnet link's metadata before a 503, by default: 60 s. */
export const DEFAULT_METADATA_WAIT_MS = 60_000

/** Options of {@link streamTorrent}: those of `download`, and the HTTP server's. */
export interface StreamOptions extends DownloadOptions {
  /** Index into the torrent's files; default the largest file. */
  readonly fileIndex?: number
  /** HTTP port; default 0 (any free port). */
  readonly httpPort?: number
  /** HTTP address; default `127.0.0.1`. */
  readonly httpHost?: string
  /** Called once the HTTP server listens, with its URL (`http://host:port/`). */
  readonly onHttp?: (url: string) => void
  /** Milliseconds a request waits for the torrent's metadata before a 503; default {@link DEFAULT_METADATA_WAIT_MS}. */
  readonly metadataWaitMs?: number
}

/** A parsed `Range` header: inclusive first and last byte. */
export interface ByteRange { readonly start: number, readonly end: number }

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  txt: 'text/plain; charset=utf-8'
}

/** The Content-Type for a file name, by its extension; `application/octet-stream` when unknown. */
export function contentTypeOf (name: string): string {
  const dot = name.lastIndexOf('.')
  const ext = dot === -1 ? '' : name.slice(dot + 1).toLowerCase()
  return Object.hasOwn(CONTENT_TYPES, ext) ? CONTENT_TYPES[ext] as string : 'application/octet-stream'
}

/**
 * Parse a single-range `Range` header against a body of `size` bytes
 * (`bytes=a-b`, `bytes=a-`, `bytes=-n`; RFC 9110 §14.1.2). A last byte past
 * the end is clamped. Returns `undefined` without a header, `'unsatisfiable'`
 * for a malformed, multi-range or out-of-bounds one. Never throws.
 */
export function parseByteRange (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^\s*bytes\s*=\s*(\d{0,16})\s*-\s*(\d{0,16})\s*$/i.exec(header)
  if (m === null) return 'unsatisfiable'
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return 'unsatisfiable'
  if (a === '') {
    const n = Number(b)
    if (!(n > 0) || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  if (start >= size || (b !== '' && Number(b) < start)) return 'unsatisfiable'
  return { start, end }
}

/** The largest non-padding file of a torrent (the first of equals), or 0. */
export function largestFile (torrent: Torrent): number {
  let best = -1
  torrent.files.forEach((f, i) => {
    if (f.padding) return
    if (best === -1 || f.length > (torrent.files[best]?.length ?? 0)) best = i
  })
  return Math.max(best, 0)
}

/**
 * Check a file index against a torrent.
 * @throws UsageError `bad-file` when it is not the index of a non-padding file
 */
export function checkFileIndex (torrent: Torrent, fileIndex: number): number {
  const file = Number.isSafeInteger(fileIndex) ? torrent.files[fileIndex] : undefined
  if (file === undefined || file.padding) {
    throw new UsageError('bad-file', `no file ${String(fileIndex)} in a torrent of ${torrent.files.length} files`, { details: { fileIndex } })
  }
  return fileIndex
}

/**
 * Download a torrent (or a magnet link, metadata first) with a sequential
 * picker and serve one of its files over HTTP at `/` while it downloads: GET
 * and HEAD, single `Range` requests (206), the whole file (200), 416 for a bad
 * range, 503 when the metadata does not arrive within `metadataWaitMs`. Each
 * body is read from verified pieces only and moves the picker's position to
 * the piece it waits on (the latest waiting request wins); writes wait for the
 * socket to drain; a client that disconnects aborts its reader.
 *
 * Keeps seeding after completion: emits `Progress` like `download` and never
 * completes on its own. Errors as `download` / `downloadMagnet`; with UsageError
 * `bad-file` for a `fileIndex` the torrent lacks; RxTorrentError `http-listen`
 * (fatal) when the HTTP server cannot listen. Unsubscribing closes the server,
 * its connections, every reader, and the download.
 * @see BEP 3, BEP 9
 */
export function streamTorrent (input: Torrent | Magnet, options: StreamOptions): Observable<Progress> {
  return new Observable<Progress>((subscriber) => {
    const picker: PiecePicker = options.picker ?? sequentialPicker()
    const setPosition = 'setPosition' in picker && typeof picker.setPosition === 'function'
      ? (p: number): void => { (picker.setPosition as (p: number) => void)(p) }
      : undefined
    const isTorrent = 'pieceLength' in input
    if (isTorrent && options.fileIndex !== undefined) {
      try { checkFileIndex(input, options.fileIndex) } catch (e) { subscriber.error(e); return }
    }

    let served: { rt: TorrentRuntime, fileIndex: number } | undefined
    const waiting = new Set<() => void>()
    const requests = new Set<AbortController>()
    let closed = false

    const onRuntime = (rt: TorrentRuntime): void => {
      options.onRuntime?.(rt)
      try {
        served = { rt, fileIndex: options.fileIndex === undefined ? largestFile(rt.torrent) : checkFileIndex(rt.torrent, options.fileIndex) }
      } catch (e) { subscriber.error(e); return }
      for (const w of [...waiting]) w()
    }

    const server = createServer((req, res) => {
      void handle(req, res).catch((e: unknown) => { if (!res.headersSent) { res.statusCode = 500; res.end() } else res.destroy(e as Error) })
    })

    /** Resolves with the runtime, or undefined after the wait bound or when the client leaves. */
    const runtimeReady = async (res: ServerResponse): Promise<typeof served> => {
      if (served !== undefined) return served
      return await new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          waiting.delete(done)
          res.off('close', done)
          resolve(served)
        }
        const timer = setTimeout(done, options.metadataWaitMs ?? DEFAULT_METADATA_WAIT_MS)
        waiting.add(done)
        res.once('close', done)
      })
    }

    async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
      let path: string
      try { path = new URL(req.url ?? '/', 'http://host').pathname } catch { path = '' }
      if (path !== '/') { res.writeHead(404, { 'Content-Length': 0 }).end(); return }
      if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end(); return }
      const ready = await runtimeReady(res)
      if (res.destroyed || closed) return
      if (ready === undefined) { res.writeHead(503, { 'Retry-After': '5', 'Content-Length': 0 }).end(); return }
      const { rt, fileIndex } = ready
      const torrent = rt.torrent
      const file = torrent.files[fileIndex]
      if (file === undefined) { res.writeHead(500, { 'Content-Length': 0 }).end(); return }
      const name = torrent.multiFile ? file.path.at(-1) ?? '' : torrent.name
      const size = file.length
      const range = parseByteRange(req.headers.range, size)
      const headers: Record<string, string | number> = { 'Accept-Ranges': 'bytes', 'Content-Type': contentTypeOf(name) }
      if (range === 'unsatisfiable') {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 }).end()
        return
      }
      const start = range?.start ?? 0
      const end = range === undefined ? size : range.end + 1
      if (range !== undefined) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
      res.writeHead(range === undefined ? 200 : 206, { ...headers, 'Content-Length': end - start })
      if (req.method === 'HEAD' || end === start) { res.end(); return }
      await sendBody(res, rt, fileIndex, start, end)
    }

    async function sendBody (res: ServerResponse, rt: TorrentRuntime, fileIndex: number, start: number, end: number): Promise<void> {
      const ac = new AbortController()
      requests.add(ac)
      const onClose = (): void => { if (!res.writableFinished) ac.abort(new RxTorrentError('client-closed', 'the client closed the connection', { disposition: 'ignore' })) }
      res.once('close', onClose)
      try {
        const reader = readFileStream({
          torrent: rt.torrent, fileIndex, start, end, storage: rt.storage,
          have: () => rt.have, verified$: rt.verified$, signal: ac.signal,
          ...(setPosition === undefined ? {} : { onPosition: setPosition })
        })
        for await (const chunk of reader) {
          if (!res.write(chunk)) await drained(res, ac.signal)
          if (ac.signal.aborted) return
        }
        res.end()
      } catch (e) {
        // Headers are out: the only way to tell the client is to cut the connection short.
        if (!ac.signal.aborted) res.destroy(e instanceof Error ? e : undefined)
      } finally {
        res.off('close', onClose)
        requests.delete(ac)
      }
    }

    server.on('error', (e) => {
      subscriber.error(new RxTorrentError('http-listen', `cannot serve HTTP: ${e.message}`, { disposition: 'fatal', cause: e }))
    })
    const httpHost = options.httpHost ?? '127.0.0.1'
    server.listen(options.httpPort ?? 0, httpHost, () => {
      const a = server.address() as AddressInfo
      const host = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address
      options.onHttp?.(`http://${host}:${a.port}/`)
    })

    const dlOptions = { ...options, picker, seed: true, onRuntime }
    const sub: Subscription = (isTorrent ? download(input, dlOptions) : downloadMagnet(input, dlOptions)).subscribe(subscriber)

    return () => {
      closed = true
      sub.unsubscribe()
      for (const w of [...waiting]) w()
      for (const ac of [...requests]) ac.abort(new RxTorrentError('stream-closed', 'the stream was stopped', { disposition: 'ignore' }))
      server.close()
      server.closeAllConnections()
    }
  })
}

/** Resolves when `res` drains, closes, or `signal` aborts. */
async function drained (res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (signal.aborted || res.destroyed) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      signal.removeEventListener('abort', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
    signal.addEventListener('abort', done, { once: true })
  })
}
