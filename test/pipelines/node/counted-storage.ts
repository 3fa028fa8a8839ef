import type { Torrent } from '../../../lib/metainfo/types.js'
import type { Storage } from '../../../lib/storage/types.js'
import { FileStorage } from '../../../pipelines/node/file-storage.js'

/** A FileStorage under `dir` that counts the bytes read through it (`readBytes`): a check or an upload shows there. `isEmpty` is the FileStorage's. */
export function countedFileStorage (torrent: Torrent, dir: string): Storage & { readBytes: number } {
  const inner = new FileStorage(torrent, dir)
  const s = {
    readBytes: 0,
    read: async (o: number, l: number) => { s.readBytes += l; return await inner.read(o, l) },
    readInto: async (o: number, into: Uint8Array) => { s.readBytes += into.length; return await inner.readInto(o, into) },
    write: inner.write.bind(inner),
    flush: inner.flush.bind(inner),
    close: inner.close.bind(inner),
    isEmpty: inner.isEmpty.bind(inner)
  }
  return s
}
