import { LIMITS } from '../../lib/constants.js'
import { RxTorrentError, UsageError } from '../../lib/errors.js'

/** Options of {@link fetchTorrentFile}. */
export interface FetchTorrentFileOptions {
  /** Largest body accepted; default `LIMITS.maxTorrentFileSize`, as for a .torrent on disk. */
  readonly maxBytes?: number
  /** Give up after this many milliseconds; default 30 000. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/** True for an argument that is an `http://` or `https://` URL. */
export function isHttpUrl (input: string): boolean {
  return /^https?:\/\//i.test(input)
}

/**
 * Fetch a .torrent file over HTTP(S), following redirects, with the same size
 * limit as a .torrent read from disk: a `Content-Length` over it is refused
 * before the body is read, and a body that grows past it is cut off.
 * @throws UsageError `cannot-fetch` (exit 2) for an HTTP error status or a body
 *   over the limit; RxTorrentError `cannot-fetch` (disposition `fatal`, exit 1)
 *   when the server cannot be reached or the transfer fails
 */
export async function fetchTorrentFile (url: string, options: FetchTorrentFileOptions = {}): Promise<Uint8Array> {
  const max = options.maxBytes ?? LIMITS.maxTorrentFileSize
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000)
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  const refuse = (why: string): UsageError => new UsageError('cannot-fetch', `cannot fetch ${url}: ${why}`, { details: { url } })
  let response: Response
  try {
    response = await fetch(url, { signal, redirect: 'follow' })
  } catch (e) {
    throw failed(url, e)
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {})
    throw refuse(`HTTP ${response.status} ${response.statusText}`.trimEnd())
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > max) {
    await response.body?.cancel().catch(() => {})
    throw refuse(`it is ${declared} bytes; a .torrent may be at most ${max}`)
  }
  return await readAtMost(response, max, url, refuse)
}

/** The body, refused once it passes `max` bytes. */
async function readAtMost (response: Response, max: number, url: string, refuse: (why: string) => UsageError): Promise<Uint8Array> {
  const reader = response.body?.getReader()
  if (reader === undefined) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      if (size > max) {
        await reader.cancel().catch(() => {})
        throw refuse(`it is more than ${max} bytes; a .torrent may be at most ${max}`)
      }
      chunks.push(value)
    }
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw failed(url, e)
  }
  const body = new Uint8Array(size)
  let at = 0
  for (const c of chunks) { body.set(c, at); at += c.length }
  return body
}

/** A transfer that could not happen: the reason from the cause (fetch hides it behind "fetch failed"). */
function failed (url: string, e: unknown): RxTorrentError {
  const cause = (e as { cause?: unknown }).cause
  const inner = cause instanceof Error ? cause : e instanceof Error ? e : undefined
  const code = (inner as { code?: unknown } | undefined)?.code
  const text = inner === undefined ? String(e) : inner.name === 'TimeoutError' ? 'timed out' : inner.message
  const why = typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text
  return new RxTorrentError('cannot-fetch', `cannot fetch ${url}: ${why}`, { disposition: 'fatal', cause: e, details: { url } })
}
