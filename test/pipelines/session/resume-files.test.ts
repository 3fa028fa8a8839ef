import { mkdtempSync, rmSync, unlinkSync, writeFileSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Torrent } from '../../../lib/metainfo/types.js'
import { memoryNetwork } from '../../../operators/memory-network.js'
import { createSession } from '../../../pipelines/session.js'
import { makeData, makeTorrent } from '../swarm-helpers.js'
import { countedFileStorage as counted } from '../node/counted-storage.js'

const dirs: string[] = []
afterEach(() => { while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true }) })

/** A fresh folder holding one file of `length` deterministic bytes, and its torrent (16 KiB pieces). */
function seededFolder (length: number, seed: number): { root: string, content: Uint8Array, torrent: ReturnType<typeof makeTorrent> } {
  const root = mkdtempSync(join(tmpdir(), 'rxt-resume-'))
  dirs.push(root)
  const content = makeData(length, seed)
  const torrent = makeTorrent(content, 16384)
  writeFileSync(join(root, torrent.name), content)
  return { root, content, torrent }
}

async function seedOnce (torrent: Torrent, data: string, state: string): Promise<number> {
  const storage = counted(torrent, data)
  const session = createSession({ port: 0, host: '127.0.0.1', stateDir: state, transport: memoryNetwork().transport('10.0.0.1') })
  session.add(torrent, { out: data, seed: true, trackers: false, storage })
  await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ torrents }) => { if (torrents[0]?.state === 'seeding') { sub.unsubscribe(); resolve() } }) })
  await session.close()
  await storage.close()
  return storage.readBytes
}

describe('resume data on real files (createSession stateDir)', () => {
  it('the second start reads no piece data; touching a file makes it read that file again', async () => {
    const { root, content, torrent } = seededFolder(10 * 16384 + 77, 91)
    const state = join(root, 'state')
    expect(await seedOnce(torrent, root, state)).toBe(content.length)
    expect(await seedOnce(torrent, root, state)).toBe(0)
    utimesSync(join(root, torrent.name), new Date(2001, 1, 1), new Date(2001, 1, 1))
    expect(await seedOnce(torrent, root, state)).toBe(content.length)
  })
})

describe('resume data whose files were deleted since (createSession stateDir)', () => {
  it('reads nothing: the folder is empty, so every piece is missing without a read', async () => {
    const { root, content, torrent } = seededFolder(10 * 16384 + 77, 92)
    const state = join(root, 'state')
    expect(await seedOnce(torrent, root, state)).toBe(content.length)
    unlinkSync(join(root, torrent.name))
    const storage = counted(torrent, root)
    const session = createSession({ port: 0, host: '127.0.0.1', stateDir: state, transport: memoryNetwork().transport('10.0.0.1') })
    session.add(torrent, { out: root, seed: true, trackers: false, storage })
    const checked = await new Promise<{ piecesChecked: number, piecesVerified: number }>((resolve) => {
      const sub = session.progress$.subscribe(({ torrents }) => {
        const t = torrents[0]
        if (t !== undefined && t.state !== 'checking') { sub.unsubscribe(); resolve(t) }
      })
    })
    await session.close()
    await storage.close()
    expect(storage.readBytes).toBe(0)
    expect(checked.piecesVerified).toBe(0)
    expect(checked.piecesChecked).toBe(torrent.pieceCount)
  })
})

describe('a state directory that cannot be written (createSession stateDir)', () => {
  it('is a warning; the torrent is checked and seeds as without resume data', async () => {
    const { root, content, torrent } = seededFolder(6 * 16384 + 5, 17)
    // A regular file where the state directory should be: every write fails (ENOTDIR), as on a read-only or full disk.
    const blocker = join(root, 'not-a-dir')
    writeFileSync(blocker, 'x')
    const warnings: string[] = []
    const storage = counted(torrent, root)
    const session = createSession({ port: 0, host: '127.0.0.1', stateDir: join(blocker, 'state'), transport: memoryNetwork().transport('10.0.0.1'), onWarning: (w) => { warnings.push(w.message) } })
    session.add(torrent, { out: root, seed: true, trackers: false, storage })
    await new Promise<void>((resolve) => { const sub = session.progress$.subscribe(({ torrents }) => { if (torrents[0]?.state === 'seeding') { sub.unsubscribe(); resolve() } }) })
    expect(session.torrents()[0]?.progress?.piecesVerified).toBe(torrent.pieceCount)
    await session.close()
    await storage.close()
    expect(storage.readBytes).toBe(content.length)
    expect(warnings.some((w) => w.includes('state not saved'))).toBe(true)
  })
})
