import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-cli-magnet-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const MAGNET = `magnet:?XT=urn:btih:${HEX}&DN=demo&TR=wss%3A%2F%2Fwt.example&tr=udp%3A%2F%2Ft.example%3A1&SO=0,x,2`

describe('the CLI says what a magnet link had tolerated (issue 11 item 6)', () => {
  it('info --json carries the warnings; the text form prints them', async () => {
    const io = fakeIo()
    expect(await main(['info', MAGNET, '--json'], io)).toBe(0)
    expect(JSON.parse(io.out())).toEqual({
      type: 'magnet',
      infoHash: HEX,
      name: 'demo',
      trackers: ['udp://t.example:1'],
      webSeeds: [],
      peers: [],
      warnings: [
        'tracker "wss://wt.example" dropped: only http, https and udp trackers are used',
        'so: "x" is not a file index or range: skipped'
      ]
    })
    const text = fakeIo()
    expect(await main(['info', MAGNET], text)).toBe(0)
    expect(text.out()).toContain('warning: tracker "wss://wt.example" dropped')
    expect(text.out()).toContain('warning: so: "x" is not a file index or range: skipped')
  })

  it('download --json reports them as warning records', async () => {
    const io = fakeIo()
    // No peer and no usable tracker: it fails, after the warnings.
    expect(await main(['download', `magnet:?xt=urn:btih:${HEX}&tr=ftp%3A%2F%2Fx`, '--out', root, '--json'], io)).toBe(1)
    const records = io.out().trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string, message?: string })
    expect(records[0]).toMatchObject({ type: 'warning', message: 'magnet: tracker "ftp://x" dropped: only http, https and udp trackers are used' })
  })
})
