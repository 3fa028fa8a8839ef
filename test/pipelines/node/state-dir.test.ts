import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StateDir, defaultStateDir } from '../../../pipelines/node/state-dir.js'

const dirs: string[] = []
const temp = (): string => { const d = mkdtempSync(join(tmpdir(), 'rxt-state-')); dirs.push(d); return d }
afterEach(() => { while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true }) })

describe('StateDir', () => {
  it('writes, reads, lists and removes files; a missing file reads as undefined', async () => {
    const s = new StateDir(join(temp(), 'state'))
    expect(await s.list()).toEqual([])
    expect(await s.read('a.resume')).toBeUndefined()
    await s.write('a.resume', new Uint8Array([1, 2, 3]))
    await s.write('a.resume', new Uint8Array([4]))
    expect(await s.read('a.resume')).toEqual(new Uint8Array([4]))
    expect(await s.list()).toEqual(['a.resume'])
    await s.remove('a.resume')
    expect(await s.list()).toEqual([])
  })

  it('refuses names that could leave the folder', async () => {
    const s = new StateDir(temp())
    for (const bad of ['../x', 'a/b', '', '.hidden', 'x\u0000']) await expect(s.write(bad, new Uint8Array())).rejects.toMatchObject({ code: 'bad-state-name' })
  })

  it('a process killed (SIGKILL) in the middle of rewrites leaves the old or the new file whole, never a torn one', async () => {
    const path = temp()
    const s = new StateDir(path)
    const old = new Uint8Array(256 * 1024).fill(1)
    await s.write('t.resume', old)
    // A child rewriting the file in a loop with 2 MiB records, killed at once.
    const script = `
      import { StateDir } from ${JSON.stringify(join(import.meta.dirname, '../../../pipelines/node/state-dir.ts'))}
      const s = new StateDir(${JSON.stringify(path)})
      for (let i = 2; ; i++) { await s.write('t.resume', new Uint8Array(2 * 1024 * 1024).fill(i % 250 + 2)); process.stdout.write('w') }
    `
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve) => { child.stdout.once('data', () => { resolve() }) })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const bytes = readFileSync(join(path, 't.resume'))
    expect([256 * 1024, 2 * 1024 * 1024]).toContain(bytes.length)
    expect(bytes.every((b) => b === bytes[0])).toBe(true)
    expect(await s.list()).toEqual(['t.resume'])
    await s.sweep()
    expect(readdirSync(path)).toEqual(['t.resume'])
  }, 30_000)

  it('a read-only folder is a typed error (the caller warns and goes on)', async () => {
    if (process.getuid?.() === 0) {
      // root ignores folder permissions; a file in place of the folder fails the same way
      const base = temp()
      writeFileSync(join(base, 'file'), 'x')
      await expect(new StateDir(join(base, 'file')).write('a.resume', new Uint8Array(1))).rejects.toMatchObject({ code: 'state-write-failed' })
      return
    }
    const base = temp()
    chmodSync(base, 0o500)
    await expect(new StateDir(base).write('a.resume', new Uint8Array(1))).rejects.toMatchObject({ code: 'state-write-failed' })
  })

  it('the default folder follows XDG_STATE_HOME, else ~/.local/state', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/x/state' }, '/home/u')).toBe('/x/state/rxtorrent')
    expect(defaultStateDir({}, '/home/u')).toBe('/home/u/.local/state/rxtorrent')
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.local/state/rxtorrent')
  })
})
