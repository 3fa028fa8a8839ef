import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodeFailure } from '../../lib/tracker/http-server-codec.js'
import { TRACKER_LIMITS } from '../../lib/tracker/limits.js'
import type { HttpTrackerReply } from '../../lib/tracker/serve-http.js'
import type { PeerAddress } from '../../lib/transport/types.js'

/** Options of {@link listenHttpTracker}. */
export interface HttpTrackerListenOptions {
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  /** Answers one request; must not throw. */
  readonly handle: (request: { readonly path: string, readonly rawQuery: string }, remote: { readonly host: string }) => HttpTrackerReply
  /** Longer request URLs get a `failure reason`. Default `TRACKER_LIMITS.maxRequestUrlLength` (8 KiB). */
  readonly maxRequestUrlLength?: number
  /** Largest request head; larger ones are answered 431 by Node. Default 16 KiB. */
  readonly maxHeaderSize?: number
  /** A request must arrive whole within this time. Default 10 s. */
  readonly requestTimeoutMs?: number
}

/** A listening HTTP tracker socket. */
export interface HttpTrackerListener {
  readonly address: PeerAddress
  /** Stop listening and drop open connections. */
  close: () => Promise<void>
}

/**
 * Serve HTTP tracker requests with `node:http`: every GET goes to `handle`
 * and its bencoded reply is sent as `text/plain`. Request URL and header size
 * are bounded; a request body is never read; other methods get 405; a
 * handler exception becomes a bencoded failure (no stack is ever sent).
 * @throws the listen error (e.g. EADDRINUSE) as a rejection
 * @see BEP 3, BEP 48
 */
export async function listenHttpTracker (options: HttpTrackerListenOptions): Promise<HttpTrackerListener> {
  const maxUrl = options.maxRequestUrlLength ?? TRACKER_LIMITS.maxRequestUrlLength
  const server = createServer({
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    headersTimeout: options.requestTimeoutMs ?? 10_000
  }, (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    const send = (reply: HttpTrackerReply): void => {
      res.writeHead(reply.status, { 'content-type': 'text/plain', 'content-length': reply.body.length, 'cache-control': 'no-cache' })
      res.end(reply.body)
    }
    try {
      const url = req.url ?? '/'
      if (req.method !== 'GET' && req.method !== 'HEAD') { send({ status: 405, body: encodeFailure('only GET is supported') }); return }
      if (url.length > maxUrl) { send({ status: 200, body: encodeFailure(`request URL longer than ${maxUrl} bytes`) }); return }
      const q = url.indexOf('?')
      const path = q < 0 ? url : url.slice(0, q)
      const rawQuery = q < 0 ? '' : url.slice(q + 1)
      send(options.handle({ path, rawQuery }, { host: req.socket.remoteAddress ?? '' }))
    } catch {
      send({ status: 200, body: encodeFailure('internal tracker error', 60) })
    }
  })
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
  })
  server.on('error', () => {})
  const a = server.address() as AddressInfo
  return {
    address: { host: a.address, port: a.port },
    close: async () => {
      await new Promise<void>(resolve => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
    }
  }
}
