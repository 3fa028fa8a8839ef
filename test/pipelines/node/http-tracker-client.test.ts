import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TrackerError } from '../../../lib/tracker/tracker-error.js'
import type { AnnounceRequest } from '../../../lib/tracker/types.js'
import { httpAnnounce, httpScrape, httpTrackerGet } from '../../../pipelines/node/http-tracker-client.js'
import { nodeTrackerClient } from '../../../pipelines/node/tracker-client.js'

const infoHash = new Uint8Array(20).fill(0xab)
const request: AnnounceRequest = { infoHash, peerId: new Uint8Array(20).fill(0x2d), port: 6881, uploaded: 0, downloaded: 0, left: 100, event: 'started' }

/** `d8:intervali1800e5:peers12:<2 compact peers>e` */
const okBody = Buffer.concat([
  Buffer.from('d8:completei3e10:incompletei1e8:intervali1800e5:peers12:'),
  Buffer.from([10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0x1a, 0xe2]),
  Buffer.from('e')
])
const scrapeBody = Buffer.concat([
  Buffer.from('d5:filesd20:'), Buffer.from(infoHash),
  Buffer.from('d8:completei5e10:downloadedi7e10:incompletei2eeee')
])

let server: Server
let base = ''
const seen: string[] = []
let raw: NetServer
let rawBase = ''
const rawReplies = new Map<string, string>()
const open = new Set<Socket>()

function route (req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0] ?? ''
  seen.push(req.url ?? '')
  const redirect = (to: string): void => { res.writeHead(302, { location: to }).end() }
  switch (path) {
    case '/announce': res.end(okBody); return
    case '/scrape': res.end(scrapeBody); return
    case '/gzip/announce': res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(okBody)); return
    case '/bomb/announce': res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(64 * 1024 * 1024))); return
    case '/big/announce': res.end(Buffer.alloc(2 * 1024 * 1024, 0x61)); return
    case '/bigish/announce': res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) }).write(Buffer.alloc(1000)); return
    case '/endless/announce': {
      res.writeHead(200)
      const pump = (): void => { if (!res.destroyed && res.write(Buffer.alloc(64 * 1024, 0x61))) setImmediate(pump); else if (!res.destroyed) res.once('drain', pump) }
      pump()
      return
    }
    case '/hang/announce': return
    case '/redir/announce': redirect('/announce'); return
    case '/to-public/announce': redirect(`http://public.test:${(req.headers.host ?? '').split(':')[1] ?? '80'}/announce`); return
    case '/loop-a/announce': redirect('/loop-b/announce'); return
    case '/loop-b/announce': redirect('/loop-a/announce'); return
    case '/meta/announce': redirect('http://169.254.169.254/latest/announce'); return
    case '/rpc/announce': redirect('http://127.0.0.1:9091/transmission/rpc'); return
    case '/file/announce': redirect('file:///etc/passwd'); return
    case '/bad/announce': res.end('this is not bencode'); return
    case '/failure/announce': res.writeHead(400).end('d14:failure reason9:not today8:retry ini5ee'); return
    case '/never/announce': res.end('d14:failure reason4:gone8:retry in5:nevere'); return
    case '/404/announce': res.writeHead(404).end('<html>not found</html>'); return
    default: {
      const m = /^\/chain(\d+)\/announce$/.exec(path)
      if (m !== null) { const n = Number(m[1]); redirect(n === 0 ? '/announce' : `/chain${n - 1}/announce`); return }
      res.writeHead(404).end()
    }
  }
}

beforeAll(async () => {
  server = createServer(route)
  server.on('connection', s => { open.add(s); s.on('close', () => open.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  raw = createNetServer(socket => {
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.once('data', (d) => {
      const path = /^GET (\S+)/.exec(d.toString('latin1'))?.[1]?.split('?')[0] ?? ''
      socket.end(rawReplies.get(path) ?? 'HTTP/1.1 404 Not Found\r\n\r\n')
    })
  })
  await new Promise<void>(resolve => raw.listen(0, '127.0.0.1', resolve))
  rawBase = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`
  rawReplies.set('/badchunk/announce', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzzzz\r\nabc\r\n')
  rawReplies.set('/hugechunk/announce', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\nabc')
  rawReplies.set('/short/announce', 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nd8:interval')
})

afterAll(async () => {
  for (const s of open) s.destroy()
  await new Promise<void>(resolve => server.close(() => resolve()))
  await new Promise<void>(resolve => raw.close(() => resolve()))
})

async function codeOf (p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (e) {
    return e instanceof TrackerError ? e.code : `untyped ${String(e)}`
  }
}

describe('httpAnnounce', () => {
  it('announces and parses a compact response', async () => {
    const r = await httpAnnounce(`${base}/announce`, request)
    expect(r).toMatchObject({ interval: 1800, complete: 3, incomplete: 1 })
    expect(r.peers).toEqual([{ host: '10.0.0.1', port: 6881 }, { host: '10.0.0.2', port: 6882 }])
    const sent = seen.at(-1) ?? ''
    expect(sent).toContain('info_hash=%AB%AB')
    expect(sent).toContain('event=started')
    expect(sent).toContain('compact=1')
  })

  it('inflates gzip', async () => {
    expect((await httpAnnounce(`${base}/gzip/announce`, request)).peers).toHaveLength(2)
  })

  it('follows a redirect', async () => {
    expect((await httpAnnounce(`${base}/redir/announce`, request)).interval).toBe(1800)
    expect((await httpAnnounce(`${base}/chain4/announce`, request)).interval).toBe(1800)
  })

  it('refuses a redirect loop and a chain longer than maxRedirects', async () => {
    expect(await codeOf(httpAnnounce(`${base}/loop-a/announce`, request))).toBe('redirect-loop')
    expect(await codeOf(httpAnnounce(`${base}/chain5/announce`, request, { maxRedirects: 3 }))).toBe('redirect-loop')
  })

  it('cuts off a gzip bomb, a body over 1 MiB, and an endless body (E49)', async () => {
    expect(await codeOf(httpAnnounce(`${base}/bomb/announce`, request))).toBe('too-large')
    expect(await codeOf(httpAnnounce(`${base}/big/announce`, request))).toBe('too-large')
    expect(await codeOf(httpAnnounce(`${base}/bigish/announce`, request))).toBe('too-large')
    expect(await codeOf(httpAnnounce(`${base}/endless/announce`, request))).toBe('too-large')
    expect(await codeOf(httpAnnounce(`${base}/announce`, request, { maxResponseBytes: 10 }))).toBe('too-large')
  })

  it('turns malformed chunking and a truncated body into bad-response', async () => {
    expect(await codeOf(httpAnnounce(`${rawBase}/badchunk/announce`, request))).toBe('bad-response')
    expect(await codeOf(httpAnnounce(`${rawBase}/hugechunk/announce`, request))).toMatch(/bad-response|too-large/)
    expect(await codeOf(httpAnnounce(`${rawBase}/short/announce`, request))).toBe('bad-response')
  })

  it('times out on a server that never answers', async () => {
    expect(await codeOf(httpAnnounce(`${base}/hang/announce`, request, { timeoutMs: 100 }))).toBe('timeout')
  })

  it('aborts with the signal reason', async () => {
    const ac = new AbortController()
    const p = httpAnnounce(`${base}/hang/announce`, request, { signal: ac.signal })
    const reason = new Error('stop')
    ac.abort(reason)
    await expect(p).rejects.toBe(reason)
    await expect(httpAnnounce(`${base}/announce`, request, { signal: ac.signal })).rejects.toBe(reason)
  })

  it('types bad bencode, failure reasons (BEP 31) and HTTP errors', async () => {
    expect(await codeOf(httpAnnounce(`${base}/bad/announce`, request))).toBe('bad-response')
    const failure = await httpAnnounce(`${base}/failure/announce`, request).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(TrackerError)
    expect(failure).toMatchObject({ code: 'failure', message: 'not today', retryIn: 300 })
    expect(await httpAnnounce(`${base}/never/announce`, request).catch((e: unknown) => e)).toMatchObject({ code: 'failure', retryIn: 'never', disposition: 'reject' })
    expect(await codeOf(httpAnnounce(`${base}/404/announce`, request))).toBe('bad-response')
  })

  it('refuses non-tracker schemes and SSRF redirects (E51)', async () => {
    expect(await codeOf(httpAnnounce('file:///etc/passwd', request))).toBe('bad-url')
    expect(await codeOf(httpAnnounce(`${base}/file/announce`, request))).toBe('bad-url')
    expect(await codeOf(httpAnnounce(`${base}/meta/announce`, request))).toBe('refused')
    expect(await codeOf(httpAnnounce(`${base}/rpc/announce`, request))).toBe('refused')
    expect(await codeOf(httpAnnounce('http://127.0.0.1:9091/transmission/rpc', request))).toBe('refused')
    expect(await codeOf(httpAnnounce(`${base}/announce`, request, { allowLoopback: false }))).toBe('refused')
  })

  it('redirectsFromLocal decides where a loopback tracker may redirect (issue 11 item 6)', async () => {
    // loopback to loopback
    expect((await httpAnnounce(`${base}/redir/announce`, request)).interval).toBeGreaterThan(0)
    expect((await httpAnnounce(`${base}/redir/announce`, request, { redirectsFromLocal: 'follow' })).interval).toBeGreaterThan(0)
    expect((await httpAnnounce(`${base}/redir/announce`, request, { redirectsFromLocal: 'same-scope' })).interval).toBeGreaterThan(0)
    expect(await codeOf(httpAnnounce(`${base}/redir/announce`, request, { redirectsFromLocal: 'refuse' }))).toBe('refused')
    // loopback to a name that resolves to a public address: refused before any connection is made
    let looked = 0
    const toPublic = (policy: 'same-scope' | 'refuse'): Parameters<typeof httpAnnounce>[2] => ({
      redirectsFromLocal: policy,
      lookup: (_host, opts, cb) => {
        looked++
        if ((opts as { all?: boolean }).all === true) (cb as (e: null, a: Array<{ address: string, family: number }>) => void)(null, [{ address: '198.51.100.1', family: 4 }])
        else (cb as (e: null, a: string, f: number) => void)(null, '198.51.100.1', 4)
      }
    })
    const sameScope = await httpAnnounce(`${base}/to-public/announce`, request, toPublic('same-scope')).catch((e: unknown) => e)
    expect(sameScope).toMatchObject({ code: 'refused' })
    expect((sameScope as Error).message).toContain("redirectsFromLocal: 'same-scope'")
    expect(looked).toBe(1)
    expect(await codeOf(httpAnnounce(`${base}/to-public/announce`, request, toPublic('refuse')))).toBe('refused')
    expect(looked).toBe(1)
    // through the tracker client's options
    const client = nodeTrackerClient({ redirectsFromLocal: 'refuse' })
    try {
      expect(await codeOf(client.announce(`${base}/redir/announce`, request))).toBe('refused')
    } finally {
      await client.close()
    }
  })

  it('checks the address a host name resolves to', async () => {
    const port = Number(new URL(base).port)
    const toMeta: Parameters<typeof httpTrackerGet>[1] = {
      lookup: (_host, _opts, cb) => { (cb as (e: null, a: string, f: number) => void)(null, '169.254.169.254', 4) }
    }
    expect(await codeOf(httpTrackerGet(`http://tracker.test:${port}/announce`, toMeta))).toBe('refused')
    const toLocal: Parameters<typeof httpTrackerGet>[1] = {
      lookup: (_host, opts, cb) => {
        const all = (opts as { all?: boolean }).all === true
        if (all) (cb as (e: null, a: Array<{ address: string, family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }])
        else (cb as (e: null, a: string, f: number) => void)(null, '127.0.0.1', 4)
      }
    }
    expect(await codeOf(httpTrackerGet(`http://tracker.test:${port}/some/rpc`, toLocal))).toBe('refused')
    expect((await httpTrackerGet(`http://tracker.test:${port}/announce`, toLocal)).status).toBe(200)
  })
})

describe('httpScrape', () => {
  it('scrapes by the BEP 48 rule', async () => {
    const r = await httpScrape(`${base}/announce`, [infoHash])
    expect(r.files.get('ab'.repeat(20))).toEqual({ complete: 5, incomplete: 2, downloaded: 7 })
    expect(seen.at(-1)).toMatch(/^\/scrape\?info_hash=%AB/)
  })

  it('refuses a tracker whose URL does not end in announce', async () => {
    expect(await codeOf(httpScrape(`${base}/tracker.php`, [infoHash]))).toBe('bad-url')
  })
})

describe('nodeTrackerClient', () => {
  it('dispatches http URLs, refuses unknown schemes, and fails after close', async () => {
    const client = nodeTrackerClient()
    expect((await client.announce(`${base}/announce`, request)).peers).toHaveLength(2)
    expect((await client.scrape(`${base}/announce`, [infoHash])).files.size).toBe(1)
    expect(await codeOf(client.announce('wss://tracker.example/announce', request))).toBe('bad-url')
    expect(await codeOf(client.announce('file:///etc/passwd', request))).toBe('bad-url')
    await client.close()
    expect(await codeOf(client.announce(`${base}/announce`, request))).toBe('closed')
  })

  it('passes its limits on', async () => {
    const client = nodeTrackerClient({ maxResponseBytes: 10, maxRedirects: 0, timeoutMs: 50, allowLoopback: true })
    expect(await codeOf(client.announce(`${base}/announce`, request))).toBe('too-large')
    expect(await codeOf(client.announce(`${base}/redir/announce`, request))).toBe('redirect-loop')
    expect(await codeOf(client.announce(`${base}/hang/announce`, request))).toBe('timeout')
    await client.close()
    const strict = nodeTrackerClient({ allowLoopback: false })
    expect(await codeOf(strict.announce(`${base}/announce`, request))).toBe('refused')
    expect(await codeOf(strict.announce('udp://127.0.0.1:1', request))).toBe('refused')
    await strict.close()
  })
})
