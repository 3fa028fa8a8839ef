/**
 * A 5,000-file torrent seeded by `rxtorrent seed` under a low open-file limit
 * (`ulimit -n 128`) to libtorrent's downloader. The storage's default budget
 * of open files follows the process limit (a quarter of it), so sockets keep
 * the rest: with a fixed 128 the seed held every descriptor after its check
 * and could accept no peer.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { writeManyFiles } from '../pipelines/cli/many-files-fixture.js'
import { compareTrees, describeWithClients, freePort, hasLibtorrent, ManagedProcess, REPO_ROOT, stopAll } from './helpers/clients.js'
import { ltDownload } from './helpers/lt-peer.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-many-lt-'))

afterAll(async () => {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
})

describeWithClients('rxtorrent seed of 5,000 files under ulimit -n 128 to libtorrent', [hasLibtorrent()], () => {
  it('libtorrent downloads every file, byte for byte', async () => {
    const many = writeManyFiles(root, { files: 5000, maxLength: 4096, pieceLength: 65536 })
    const port = await freePort()
    const cli = resolve(REPO_ROOT, 'bin/rxtorrent.js')
    const seed = new ManagedProcess('bash', ['-c', 'ulimit -n 128 && exec "$@"', 'seed', process.execPath, cli, 'seed', many.torrent, '--data', many.data, '--port', String(port), '--host', '127.0.0.1'], { label: 'rxtorrent seed' })
    // The port is bound before the check; the listening line comes after it.
    await seed.waitFor(() => seed.lines.find((l) => l.startsWith('seeding ')), 60_000, 'the listening line')
    await ltDownload(many.torrent, join(root, 'lt'), { peers: [`127.0.0.1:${port}`], timeoutSeconds: 60 })
    expect(await compareTrees(join(many.data, many.name), join(root, 'lt', many.name))).toEqual([])
    expect(seed.hasExited).toBe(false)
  }, 120_000)
})
