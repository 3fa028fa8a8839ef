/**
 * The Node platform shell: files, TCP, SHA-1 from `node:crypto`, and torrent
 * creation from a path.
 *
 * @example
 * ```ts
 * import { FileStorage, tcpTransport, nodeHasher } from './index.js'
 * const storage = new FileStorage(torrent, './downloads')
 * const conn = await tcpTransport().dial({ host: '127.0.0.1', port: 6881 })
 * ```
 */
export { FileStorage, ensureFiles, type FileStorageOptions } from './file-storage.js'
export { FileHandleCache, nodeFileSystem, type FileHandleLike, type FileSystemLike } from './file-handle-cache.js'
export { OpenFileBudget, DEFAULT_MAX_OPEN_FILES, type Evictable } from './open-file-budget.js'
export { defaultMaxOpenFiles, openFilesFor, parseOpenFilesLimit } from './fd-limit.js'
export { resolveInside, torrentFilePath } from './resolve-inside.js'
export { toStorageError } from './storage-errors.js'
export { tcpTransport, socketDuplex, TransportError, type TcpTransportOptions } from './tcp.js'
export { nodeHasher, sha1 } from './hasher.js'
export { createTorrentFromPath, type CreateTorrentFromPathOptions } from './create-torrent.js'
