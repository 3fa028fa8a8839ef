/**
 * Resume after a crash: `rxtorrent download --json` from a rate-limited
 * libtorrent seeder is SIGKILLed part-way, started again, and completes
 * with files identical to the source, fetching none of the pieces it had
 * reported verified before the kill.
 * A third run over the completed download exits 0 having downloaded
 * nothing.
 */
import { afterEach, expect, it } from 'vitest'
import { describeWithClients, hasLibtorrent, runCli, spawnCli, stopAll } from './helpers/clients.js'
import { KiB, MiB, makeWorkspace, removeWorkspaces } from './helpers/fixtures.js'
import { startLtSeeder } from './helpers/lt-peer.js'

afterEach(async () => {
  await stopAll()
  await removeWorkspaces()
})

/** The last JSON line that reports a `downloaded` figure. */
function lastProgress (records: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]
    if (record !== undefined && typeof record.downloaded === 'number') return record
  }
  return undefined
}

const PIECE = 256 * KiB
const SIZE = 8 * MiB + 999
/** Bytes per second the seeder may send: about 8 s for the whole torrent. */
const UPLOAD_LIMIT = MiB

describeWithClients('rxtorrent resumes after SIGKILL (libtorrent seeder)', [hasLibtorrent()], () => {
  it('completes after being killed mid-way, then a rerun downloads nothing', async () => {
    const ws = await makeWorkspace({ kind: 'single', name: 'resume.bin', size: SIZE }, 'libtorrent', PIECE, 'resume')
    const pieceCount = Math.ceil(SIZE / PIECE)
    const seeder = await startLtSeeder(ws.torrent, ws.src, { uploadLimit: UPLOAD_LIMIT })
    const args = ['download', ws.torrent, '--out', ws.out, '--peer', seeder.address, '--json']

    // First run: kill it once a quarter of the pieces are verified.
    const first = spawnCli(args)
    const partway = await first.waitForJson((v) => typeof v.piecesVerified === 'number' &&
      v.piecesVerified >= Math.ceil(pieceCount / 4), 90_000)
    first.kill('SIGKILL')
    const firstExit = await first.exited
    expect(partway.pieceCount).toBe(pieceCount)
    expect(Number(partway.piecesVerified), 'killed before the download finished').toBeLessThan(pieceCount)
    expect(firstExit.signal, first.diagnostics()).toBe('SIGKILL')
    expect((await ws.compare()).length, 'the first run left an incomplete download').toBeGreaterThan(0)

    // Second run: completes, and fetches less than the whole torrent.
    const second = await runCli(args, { timeoutMs: 120_000 })
    expect(second.code, second.diagnostics).toBe(0)
    expect(await ws.compare()).toEqual([])
    const secondFinal = lastProgress(second.json)
    expect(secondFinal, second.diagnostics).toBeDefined()
    // Pieces reported verified before the kill were on disk: none is fetched again.
    const verifiedBeforeKill = typeof partway.bytesVerified === 'number'
      ? partway.bytesVerified
      : (Number(partway.piecesVerified) - 1) * PIECE
    expect(Number(secondFinal?.downloaded), `verified pieces from the first run are kept\n${second.diagnostics}`)
      .toBeLessThanOrEqual(SIZE - verifiedBeforeKill)

    // Third run over a complete download: nothing to fetch.
    const third = await runCli(args, { timeoutMs: 60_000 })
    expect(third.code, third.diagnostics).toBe(0)
    const thirdFinal = lastProgress(third.json)
    expect(thirdFinal, third.diagnostics).toBeDefined()
    expect(thirdFinal?.downloaded).toBe(0)
    expect(thirdFinal?.piecesVerified).toBe(pieceCount)
    expect(await ws.compare()).toEqual([])
  })
})
