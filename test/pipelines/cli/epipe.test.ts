import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../pipelines/cli/main.js'
import { REPO_ROOT } from '../../interop/helpers/processes.js'
import { fakeIo } from './fake-io.js'

const root = mkdtempSync(join(tmpdir(), 'rxt-epipe-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

describe('CLI output into a reader that goes away', () => {
  it('info | head: exits quietly when stdout is closed, without an EPIPE stack', async () => {
    // 3,000 files: `info` prints far more than a pipe holds.
    const folder = join(root, 'folder')
    mkdirSync(folder)
    for (let i = 0; i < 3000; i++) writeFileSync(join(folder, `file-with-a-long-name-${i}.bin`), new Uint8Array(1))
    const torrent = join(root, 'many.torrent')
    expect(await main(['create', folder, '-o', torrent], fakeIo())).toBe(0)
    // `head -1` reads one line and exits; the shell reports the CLI's exit code and stderr.
    const script = 'node "$1" info "$2" 2>"$3" | head -1 >/dev/null; echo "${PIPESTATUS[0]}"'
    const errFile = join(root, 'stderr.txt')
    const child = spawn('bash', ['-c', script, 'epipe', resolve(REPO_ROOT, 'bin/rxtorrent.js'), torrent, errFile], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => { out += t })
    await new Promise<void>((resolve) => { child.on('close', () => { resolve() }) })
    expect(readFileSync(errFile, 'utf8')).toBe('')
    expect(out.trim()).toBe('0')
  }, 60_000)
})
