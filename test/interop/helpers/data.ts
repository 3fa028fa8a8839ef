/**
 * Test data for the interop tests: deterministic pseudo-random file contents
 * (the AES-128-CTR keystream of a key derived from a seed string, so the
 * same seed always gives the same bytes), temporary directories that are
 * removed afterwards, and a byte-for-byte tree comparison.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'

const CHUNK = 4 * 1024 * 1024

/** Deterministic bytes: `size` bytes of the keystream seeded by `seed`. */
export function* deterministicChunks (seed: string, size: number, chunkSize = CHUNK): Generator<Uint8Array> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, new Uint8Array(16))
  const zeros = new Uint8Array(Math.min(chunkSize, Math.max(size, 1)))
  let left = size
  while (left > 0) {
    const n = Math.min(left, zeros.length)
    yield cipher.update(zeros.subarray(0, n))
    left -= n
  }
}

/** All `size` deterministic bytes for `seed` in one buffer (small sizes only). */
export function deterministicBytes (seed: string, size: number): Uint8Array {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of deterministicChunks(seed, size)) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** Writes `size` deterministic bytes for `seed` to `path`, creating parents. */
export async function writeDeterministicFile (path: string, size: number, seed: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const handle = await open(path, 'w')
  try {
    for (const chunk of deterministicChunks(seed, size)) {
      await handle.write(chunk)
    }
  } finally {
    await handle.close()
  }
}

/** One file of a generated tree: its path relative to the root and size. */
export interface FileSpec {
  path: string
  size: number
}

/** Writes every file of `files` under `root`, each seeded by `seed` and its path. */
export async function writeTree (root: string, files: readonly FileSpec[], seed: string): Promise<void> {
  for (const file of files) {
    await writeDeterministicFile(join(root, file.path), file.size, `${seed}/${file.path}`)
  }
}

/** A fresh directory under the OS temp dir; remove it with {@link removeDir}. */
export async function makeTempDir (prefix = 'rxtorrent-interop-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

/** Removes a directory tree, ignoring a missing one. */
export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

/** Every regular file under `root`, as sorted root-relative paths with sizes. */
export async function listFiles (root: string): Promise<FileSpec[]> {
  const out: FileSpec[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true })
    for (const entry of entries) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) await walk(full)
      else if (entry.isFile()) out.push({ path: relative(root, full), size: (await stat(full)).size })
    }
  }
  await walk(root)
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** The SHA-1 of a file, streamed. */
export async function sha1File (path: string): Promise<string> {
  const hash = createHash('sha1')
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    hash.update(chunk as Uint8Array)
  }
  return hash.digest('hex')
}

/**
 * Compares two files byte for byte. Returns `undefined` when they are equal,
 * else a sentence naming the sizes or the first differing offset.
 */
export async function compareFiles (expected: string, actual: string): Promise<string | undefined> {
  const [a, b] = await Promise.all([stat(expected), stat(actual).catch(() => undefined)])
  if (b === undefined) return `${actual} is missing`
  if (a.size !== b.size) return `${actual} has ${b.size} bytes, expected ${a.size}`
  const [fa, fb] = await Promise.all([open(expected, 'r'), open(actual, 'r')])
  try {
    const bufA = new Uint8Array(CHUNK)
    const bufB = new Uint8Array(CHUNK)
    for (let at = 0; at < a.size; at += CHUNK) {
      const n = Math.min(CHUNK, a.size - at)
      await fa.read(bufA, 0, n, at)
      await fb.read(bufB, 0, n, at)
      if (Buffer.compare(bufA.subarray(0, n), bufB.subarray(0, n)) === 0) continue
      for (let i = 0; i < n; i++) {
        if (bufA[i] !== bufB[i]) return `${actual} differs from ${expected} at byte ${at + i}`
      }
    }
    return undefined
  } finally {
    await Promise.all([fa.close(), fb.close()])
  }
}

/**
 * Compares two directory trees: the same relative file paths (empty files
 * included) with the same bytes. Returns the list of differences, empty
 * when the trees are identical.
 */
export async function compareTrees (expected: string, actual: string): Promise<string[]> {
  const [want, got] = await Promise.all([listFiles(expected), listFiles(actual).catch(() => [])])
  const problems: string[] = []
  const gotPaths = new Set(got.map((f) => f.path))
  const wantPaths = new Set(want.map((f) => f.path))
  for (const f of want) if (!gotPaths.has(f.path)) problems.push(`missing ${f.path}`)
  for (const f of got) if (!wantPaths.has(f.path)) problems.push(`unexpected ${f.path}`)
  for (const f of want) {
    if (!gotPaths.has(f.path)) continue
    const diff = await compareFiles(join(expected, f.path), join(actual, f.path))
    if (diff !== undefined) problems.push(diff)
  }
  return problems
}
