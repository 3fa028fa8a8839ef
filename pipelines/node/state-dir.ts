import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { RxTorrentError } from '../../lib/errors.js'

/**
 * The directory a session keeps its state in: per torrent its metainfo
 * (`<info-hash>.torrent`) and its resume record (`<info-hash>.resume`),
 * each written atomically (a temporary file in the same folder, fsync,
 * rename, fsync of the folder), so a kill -9 at any moment leaves either the
 * old file or the new one, never a torn one.
 */
export class StateDir {
  readonly path: string

  constructor (path: string) {
    this.path = path
  }

  /** Write `<name>` atomically; creates the directory when needed. */
  async write (name: string, bytes: Uint8Array): Promise<void> {
    checkName(name)
    const tmp = join(this.path, `.${name}.${randomBytes(6).toString('hex')}.tmp`)
    let fh
    try {
      await mkdir(this.path, { recursive: true })
      fh = await open(tmp, 'wx', 0o600)
    } catch (err) {
      throw stateError(err, name)
    }
    try {
      await fh.writeFile(bytes)
      await fh.sync()
    } catch (err) {
      await fh.close().catch(() => {})
      await rm(tmp, { force: true })
      throw stateError(err, name)
    }
    await fh.close()
    try {
      await rename(tmp, join(this.path, name))
    } catch (err) {
      await rm(tmp, { force: true })
      throw stateError(err, name)
    }
    await syncDir(this.path)
  }

  /** The bytes of `<name>`, or undefined when there is no such file. */
  async read (name: string): Promise<Uint8Array | undefined> {
    checkName(name)
    try {
      return new Uint8Array(await readFile(join(this.path, name)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw stateError(err, name)
    }
  }

  /** Remove `<name>` (no error when it is absent). */
  async remove (name: string): Promise<void> {
    checkName(name)
    await rm(join(this.path, name), { force: true })
  }

  /** Names of the files kept (temporary files of interrupted writes left out). */
  async list (): Promise<string[]> {
    try {
      return (await readdir(this.path)).filter((n) => !n.startsWith('.')).sort()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw stateError(err, '')
    }
  }

  /** Delete temporary files that interrupted writes left behind. */
  async sweep (): Promise<number> {
    let n = 0
    try {
      for (const name of await readdir(this.path)) {
        if (name.startsWith('.') && name.endsWith('.tmp')) { await rm(join(this.path, name), { force: true }); n++ }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw stateError(err, '')
    }
    return n
  }
}

/**
 * Where the CLI keeps session state by default: `$XDG_STATE_HOME/rxtorrent`,
 * else `~/.local/state/rxtorrent`.
 */
export function defaultStateDir (env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env.XDG_STATE_HOME
  return xdg !== undefined && xdg.startsWith('/') ? join(xdg, 'rxtorrent') : join(home, '.local', 'state', 'rxtorrent')
}

function checkName (name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name)) throw new RxTorrentError('bad-state-name', `not a state file name: ${JSON.stringify(name)}`, { disposition: 'reject' })
}

async function syncDir (path: string): Promise<void> {
  const dir = await open(path, 'r')
  try { await dir.sync() } catch { /* some file systems cannot sync a folder */ } finally { await dir.close() }
}

function stateError (err: unknown, name: string): RxTorrentError {
  const code = (err as NodeJS.ErrnoException).code ?? 'unknown'
  const message = err instanceof Error ? err.message : String(err)
  return new RxTorrentError('state-write-failed', `state file ${name}: ${message} (${code})`, { disposition: 'ignore', cause: err, details: { errno: code } })
}
