import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { FileStorage } from '../../pipelines/node/file-storage.js'
import { storageCompliance } from './compliance.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-compliance-'))
let n = 0
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

storageCompliance('FileStorage', { create: t => new FileStorage(t, join(root, String(n++))), unwritten: 'missing' })
storageCompliance('FileStorage (one open file)', { create: t => new FileStorage(t, join(root, String(n++)), { maxOpenFiles: 1 }), unwritten: 'missing' })
storageCompliance('FileStorage (writes on the thread pool)', { create: t => new FileStorage(t, join(root, String(n++)), { writes: 'thread-pool' }), unwritten: 'missing' })
