import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { mkdir as fsMkdir, open as fsOpen } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensureFiles } from '../../../pipelines/node/ensure-files.js'
import type { FileSystemLike } from '../../../pipelines/node/file-handle-cache.js'
import { FileStorage } from '../../../pipelines/node/file-storage.js'
import { makeTorrent } from '../../storage/make-torrent.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-ensure-'))
let n = 0
const fresh = (): string => join(root, String(n++))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

/** 2,000 files in 20 folders, every tenth of zero length. */
const MANY = makeTorrent(Array.from({ length: 2000 }, (_, i) => ({ path: [`d${i % 20}`, `f${i}`], length: i % 10 === 0 ? 0 : 3 })), { name: 'many' })

describe('ensureFiles with many files', () => {
  it('makes each directory once and creates every zero-length file, one open at a time', async () => {
    const mkdirs: string[] = []
    let open = 0
    let most = 0
    const fs: FileSystemLike = {
      mkdir: async (p, o) => { mkdirs.push(p); return await fsMkdir(p, o) },
      open: async (p, f) => {
        const h = await fsOpen(p, f)
        most = Math.max(most, ++open)
        return { read: h.read.bind(h), writev: h.writev.bind(h), sync: h.sync.bind(h), close: async () => { open--; await h.close() } }
      }
    }
    const dir = fresh()
    await ensureFiles(MANY, dir, { fs })
    expect(mkdirs.length).toBe(20)
    expect(new Set(mkdirs).size).toBe(20)
    expect(most).toBe(1)
    expect(statSync(join(dir, 'many', 'd0', 'f0')).size).toBe(0)
    expect(existsSync(join(dir, 'many', 'd1', 'f1'))).toBe(false)
  })
})

describe('FileStorage.isEmpty with many files', () => {
  it('is true when the folder is missing, true when every file is empty, false once one holds data', async () => {
    const dir = fresh()
    const s = new FileStorage(MANY, dir)
    expect(await s.isEmpty()).toBe(true)
    await ensureFiles(MANY, dir)
    expect(await s.isEmpty()).toBe(true)
    mkdirSync(join(dir, 'many', 'd19'), { recursive: true })
    writeFileSync(join(dir, 'many', 'd19', 'f1999'), 'abc')
    expect(await s.isEmpty()).toBe(false)
    await s.close()
  })
})
