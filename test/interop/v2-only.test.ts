/**
 * A v2-only torrent made by libtorrent (BEP 52, no v1 half) is refused with
 * "v2 is not supported yet" and exit 2, not as a v1 torrent missing its
 * piece hashes.
 */
import { execFileSync } from 'node:child_process'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, hasLibtorrent, makeTempDir, runCli, stopAll, SYSTEM_PYTHON } from './helpers/clients.js'

const dirs: string[] = []
afterEach(async () => {
  await stopAll()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const CREATE_V2 = `
import libtorrent as lt, sys
fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v2_only)
lt.set_piece_hashes(ct, sys.argv[2])
open(sys.argv[3], 'wb').write(lt.bencode(ct.generate()))
`

describeWithClients('a v2-only torrent from libtorrent', [hasLibtorrent()], () => {
  it('info, download and seed exit 2 saying v2 is not supported yet', async () => {
    const dir = await makeTempDir()
    dirs.push(dir)
    await writeFile(join(dir, 'data.bin'), new Uint8Array(50_000).fill(9))
    const torrent = join(dir, 'v2.torrent')
    execFileSync(SYSTEM_PYTHON, ['-c', CREATE_V2, join(dir, 'data.bin'), dir, torrent])
    for (const args of [['info', torrent], ['download', torrent, '--out', join(dir, 'out')], ['seed', torrent, '--data', dir, '--port', '0']]) {
      const r = await runCli(args, { timeoutMs: 30_000 })
      expect(r.code, r.diagnostics).toBe(2)
      expect(r.stderr, r.diagnostics).toContain(`rxtorrent: ${torrent}: a BitTorrent v2-only torrent (meta version 2, no v1 piece hashes): v2 is not supported yet`)
      expect(r.stderr).not.toMatch(/pieces is/)
    }
  })
})
