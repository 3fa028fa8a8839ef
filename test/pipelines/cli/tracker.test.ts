import { get } from 'node:http'
import { describe, expect, it } from 'vitest'
import { buildAnnounceUrl, parseAnnounceResponse } from '../../../lib/tracker/http-codec.js'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

async function httpGet (url: string): Promise<Uint8Array> {
  return await new Promise((resolve, reject) => {
    get(url, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve(new Uint8Array(Buffer.concat(chunks))) })
    }).on('error', reject)
  })
}

describe('rxtorrent tracker', () => {
  it('prints its announce URLs, serves, and exits 0 on SIGINT', async () => {
    const io = fakeIo()
    const allowed = 'ab'.repeat(20)
    const run = main(['tracker', '--host', '127.0.0.1', '--http-port', '0', '--udp-port', '0', '--interval', '60', '--allow', allowed], io)
    const [, httpUrl] = await io.waitForStdout(/tracker: (http:\/\/127\.0\.0\.1:\d+\/announce)\n/) as [string, string]
    await io.waitForStdout(/tracker: udp:\/\/127\.0\.0\.1:\d+\/announce\n/)
    const body = await httpGet(buildAnnounceUrl(httpUrl, {
      infoHash: new Uint8Array(20).fill(0xab), peerId: new Uint8Array(20).fill(1), port: 1, uploaded: 0, downloaded: 0, left: 0, event: 'started'
    }))
    expect(parseAnnounceResponse(body)).toMatchObject({ interval: 60, complete: 1 })
    expect(io.raise('SIGINT')).toBe(true)
    expect(await run).toBe(0)
    await expect(httpGet(httpUrl)).rejects.toThrow()
  })

  it('turns a front end off', async () => {
    const io = fakeIo()
    const run = main(['tracker', '--host', '127.0.0.1', '--http-port', 'off', '--udp-port', '0'], io)
    await io.waitForStdout(/udp:\/\//)
    expect(io.out()).not.toContain('http://')
    io.raise('SIGTERM')
    expect(await run).toBe(0)
  })

  it.each([
    [['--allow', 'xyz'], /bad --allow 'xyz'/],
    [['--interval', '0'], /bad --interval '0'/],
    [['--http-port', '70000'], /bad --port '70000'/],
    [['--http-port', 'off', '--udp-port', 'off'], /both --http-port and --udp-port are off/],
    [['--bogus'], /unknown option '--bogus'/],
    [['extra'], /unexpected argument 'extra'/]
  ])('rejects %j with exit 2', async (args, message) => {
    const io = fakeIo()
    expect(await main(['tracker', '--host', '127.0.0.1', ...args], io)).toBe(2)
    expect(io.err()).toMatch(message)
  })

  it('has help', async () => {
    const io = fakeIo()
    expect(await main(['tracker', '--help'], io)).toBe(0)
    expect(io.out()).toContain('Usage: rxtorrent tracker')
  })
})
