import type { Torrent, TorrentFile } from '../../lib/metainfo/types.js'

/** A file of a test torrent: path below the torrent name, length, optional padding flag. */
export interface FileSpec {
  readonly path: readonly string[]
  readonly length: number
  readonly padding?: boolean
}

/**
 * A Torrent value with the given files and no real hashes, for storage tests.
 * One file and `multiFile: false` makes a single-file torrent named `name`.
 */
export function makeTorrent (files: readonly FileSpec[], options: { name?: string, pieceLength?: number, multiFile?: boolean } = {}): Torrent {
  let offset = 0
  const out: TorrentFile[] = files.map(f => {
    const file: TorrentFile = { path: f.path, originalPath: f.path, length: f.length, offset, attr: f.padding === true ? 'p' : '', padding: f.padding === true }
    offset += f.length
    return file
  })
  const pieceLength = options.pieceLength ?? 16
  const pieceCount = Math.max(1, Math.ceil(offset / pieceLength))
  return {
    infoHash: new Uint8Array(20),
    infoHashHex: '0'.repeat(40),
    name: options.name ?? 'test',
    pieceLength,
    pieceCount,
    pieceHashes: new Uint8Array(20 * pieceCount),
    length: offset,
    multiFile: options.multiFile ?? files.length > 1,
    files: out,
    announce: [],
    private: false,
    urlList: [],
    httpSeeds: [],
    infoBytes: new Uint8Array(0)
  }
}

/** Bytes `start, start+1, …` modulo 251, so any misplaced byte shows. */
export function pattern (length: number, start = 0): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (start + i) % 251
  return out
}
