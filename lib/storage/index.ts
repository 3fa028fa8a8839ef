/**
 * Where piece data lives: the `Storage` and `Hasher` interfaces, the mapping
 * of torrent byte ranges onto files, and an in-memory storage for tests and
 * the simulator. Files on disk are `FileStorage` in `pipelines/node`.
 *
 * @example
 * ```ts
 * import { MemoryStorage, mapRange } from './index.js'
 * const storage = new MemoryStorage(1 << 20)
 * await storage.write(16384, [block])
 * const back = await storage.read(16384, block.length)
 * mapRange(torrent.files, 0, torrent.pieceLength) // → [{ file, fileOffset, length, bufferOffset, padding }, …]
 * ```
 * @see BEP 3, BEP 47
 */
export type { Storage, Hasher } from './types.js'
export { mapRange, layoutLength, filePath, type LayoutFile, type FileSegment } from './file-layout.js'
export { MemoryStorage, type MemoryStorageOptions } from './memory-storage.js'
