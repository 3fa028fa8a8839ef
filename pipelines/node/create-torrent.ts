/**
 * Creating a `.torrent` from a file or folder on disk.
 * @see BEP 3, BEP 12, BEP 19, BEP 27
 */
import { createHash, type Hash } from 'node:crypto'
import { open, readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { UsageError, StorageError } from '../../lib/errors.js'
import { compareFilePaths, createTorrent, type CreateFileEntry } from '../../lib/metainfo/create-torrent.js'
import { parseTorrent } from '../../lib/metainfo/parse-torrent.js'
import { defaultPieceLength } from '../../lib/metainfo/piece-length.js'
import type { Torrent } from '../../lib/metainfo/types.js'

/** Options of {@link createTorrentFromPath}. */
export interface CreateTorrentFromPathOptions {
  /** Bytes per piece; default {@link defaultPieceLength} of the total size. */
  readonly pieceLength?: number
  /** Tracker URLs, one tier each. */
  readonly announce?: readonly string[]
  /** BEP 27 private flag. */
  readonly private?: boolean
  /** BEP 19 web seeds. */
  readonly webSeeds?: readonly string[]
  readonly comment?: string
  /** Seconds since the epoch; omitted when absent, so the output is reproducible. */
  readonly creationDate?: number
  readonly signal?: AbortSignal
}

/** Size of the buffer files are read through. */
const READ_CHUNK = 1024 * 1024

const sha1 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha1').update(data).digest())

/**
 * Build a torrent from `path`. A regular file gives a single-file torrent; a
 * folder gives a multi-file torrent of every regular file below it (hidden
 * files included), ordered bytewise by path. Symbolic links and special files
 * (FIFOs, sockets, devices) inside the folder are skipped; `path` itself is
 * followed if it is a link. Files are streamed through one reused buffer and
 * hashed across file boundaries, so memory use does not grow with file size.
 * The name is the last component of `path`. File names are read as UTF-8
 * strings, so a name that is not valid UTF-8 on disk cannot be opened.
 *
 * Interoperability: for the same content, name and piece length the `info`
 * dictionary is byte-identical to mktorrent 1.1's (same keys, same file order;
 * mktorrent only adds `private`/`source` to `info` when asked), so the
 * info-hashes match.
 *
 * Resolves with the encoded bytes and their parsed form.
 * @throws UsageError `bad-path` (not a file or folder, or nothing to hash),
 *   and the UsageErrors of `createTorrent` for bad options; StorageError
 *   `file-changed` when a file changes size while being read; the file
 *   system's error for unreadable files; an `AbortError` when `signal` aborts
 *   (checked between reads).
 * @see BEP 3
 */
export async function createTorrentFromPath (path: string, options: CreateTorrentFromPathOptions = {}): Promise<{ bytes: Uint8Array, torrent: Torrent }> {
  const { signal } = options
  signal?.throwIfAborted()
  const root = resolve(path)
  const rootStat = await stat(root)
  let entries: Array<CreateFileEntry & { readonly full: string }>
  let multiFile: boolean
  if (rootStat.isFile()) {
    multiFile = false
    entries = [{ path: [basename(root)], length: rootStat.size, full: root }]
  } else if (rootStat.isDirectory()) {
    multiFile = true
    entries = await walk(root, [], signal)
    entries.sort((a, b) => compareFilePaths(a.path, b.path))
  } else {
    throw new UsageError('bad-path', `${path} is neither a file nor a folder`)
  }
  const total = entries.reduce((n, e) => n + e.length, 0)
  if (total === 0) throw new UsageError('bad-path', `${path} holds no data to share`)
  const pieceLength = options.pieceLength ?? defaultPieceLength(total)
  if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new UsageError('bad-piece-length', 'piece length must be a positive integer')

  const pieceHashes = await hashPieces(entries, pieceLength, total, signal)
  const bytes = createTorrent({
    name: basename(root),
    multiFile,
    files: entries.map(({ path: p, length }) => ({ path: p, length })),
    pieceLength,
    pieceHashes,
    ...(options.private === undefined ? {} : { private: options.private }),
    ...(options.announce === undefined ? {} : { announce: options.announce }),
    ...(options.webSeeds === undefined ? {} : { webSeeds: options.webSeeds }),
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    ...(options.creationDate === undefined ? {} : { creationDate: options.creationDate })
  })
  // what we write is canonical bencode: read it back strictly
  return { bytes, torrent: parseTorrent(bytes, { sha1, strict: true }) }
}

async function walk (dir: string, prefix: readonly string[], signal: AbortSignal | undefined): Promise<Array<CreateFileEntry & { full: string }>> {
  signal?.throwIfAborted()
  const out: Array<CreateFileEntry & { full: string }> = []
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, d.name)
    if (d.isDirectory()) {
      out.push(...await walk(full, [...prefix, d.name], signal))
    } else if (d.isFile()) {
      out.push({ path: [...prefix, d.name], length: (await stat(full)).size, full })
    }
  }
  return out
}

/** SHA-1 of each piece of the files' concatenation, read in order. */
async function hashPieces (files: ReadonlyArray<{ readonly full: string, readonly length: number }>, pieceLength: number, total: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const pieceCount = Math.ceil(total / pieceLength)
  const hashes = new Uint8Array(pieceCount * 20)
  const buffer = new Uint8Array(Math.min(READ_CHUNK, Math.max(pieceLength, 16 * 1024)))
  let piece = 0
  let inPiece = 0
  let hash: Hash = createHash('sha1')
  const finishPiece = (): void => {
    hashes.set(hash.digest(), piece * 20)
    piece++
    inPiece = 0
    hash = createHash('sha1')
  }
  for (const file of files) {
    if (file.length === 0) continue
    const handle = await open(file.full, 'r')
    try {
      let read = 0
      while (read < file.length) {
        signal?.throwIfAborted()
        const want = Math.min(buffer.length, file.length - read)
        const { bytesRead } = await handle.read(buffer, 0, want, read)
        if (bytesRead === 0) throw new StorageError('file-changed', `${file.full} is shorter than when it was listed`)
        read += bytesRead
        let at = 0
        while (at < bytesRead) {
          const take = Math.min(bytesRead - at, pieceLength - inPiece)
          hash.update(buffer.subarray(at, at + take))
          at += take
          inPiece += take
          if (inPiece === pieceLength) finishPiece()
        }
      }
      if ((await handle.stat()).size !== file.length) throw new StorageError('file-changed', `${file.full} changed size while being read`)
    } finally {
      await handle.close()
    }
  }
  if (inPiece > 0) finishPiece()
  return hashes
}
