/**
 * The TypeScript consumer that test/package/package.test.ts compiles against
 * the installed tarball under the strictest flags a user may set, with both
 * `node16` and `bundler` module resolution, then runs. It lives here as text
 * so the repository's own type check never resolves `rxtorrent` to itself.
 */

/** `index.ts` of the consumer: every entry point, types and values, and a download over the memory network. */
export const CONSUMER_SOURCE = `
import { lastValueFrom } from 'rxjs'
import {
  download, seed, streamTorrent, parseTorrentFile, parseMagnet, sha1, nodeHasher, RxTorrentError, parseByteRange,
  type DownloadOptions, type SeedOptions, type StreamOptions, type Progress, type Torrent, type PeerAddress, type ByteRange,
  type Magnet, type ParseMagnetOptions, type ParseTorrentOptions, type PiecePicker, type Choker, type Bitfield
} from 'rxtorrent'
import { memoryNetwork, decodeFrames, type MemoryNetwork } from 'rxtorrent/operators'
import { createTorrent, MemoryStorage, FrameDecoder, type Message } from 'rxtorrent/lib'
import { simulateSwarm, type SimulateSwarmOptions, type SwarmResult } from 'rxtorrent/sim'

const pieceLength = 16384
const data = new Uint8Array(3 * pieceLength + 7).map((_, i) => (i * 13) & 0xff)
const hashes = new Uint8Array(4 * 20)
for (let i = 0; i < 4; i++) hashes.set(sha1(data.subarray(i * pieceLength, (i + 1) * pieceLength)), i * 20)
const torrent: Torrent = parseTorrentFile(createTorrent({ name: 'x.bin', multiFile: false, files: [{ path: ['x.bin'], length: data.length }], pieceLength, pieceHashes: hashes }))

const net: MemoryNetwork = memoryNetwork()
const storage = new MemoryStorage(data.length)
await storage.write(0, [data])
const subscriptions: Array<{ unsubscribe: () => void }> = []
const listening = new Promise<PeerAddress>((resolve) => {
  const options: SeedOptions = { data: '/unused', storage, transport: net.transport('seed'), port: 0, hasher: nodeHasher, onListening: resolve }
  subscriptions.push(seed(torrent, options).subscribe())
})
const got = new MemoryStorage(data.length)
const options: DownloadOptions = { out: '/unused', storage: got, transport: net.transport('leech'), peers: [await listening], hasher: nodeHasher }
const last: Progress = await lastValueFrom(download(torrent, options))
for (const s of subscriptions) s.unsubscribe()
const bytes = await got.read(0, data.length)
if (last.piecesVerified !== 4 || !bytes.every((b, i) => b === data[i])) throw new RxTorrentError('mismatch', 'the download does not match')

const frames: Message[] = new FrameDecoder({ maxMessageLength: 1 << 16 }).push(new Uint8Array([0, 0, 0, 1, 2]))
const range: ByteRange | 'unsatisfiable' | undefined = parseByteRange('bytes=0-9', 100)
const stream: StreamOptions = { out: '/unused', httpPort: 0 }
// The types in the root entry's signatures are named from the root entry alone.
const magnetOptions: ParseMagnetOptions = {}
const magnet: Magnet = parseMagnet('magnet:?xt=urn:btih:' + torrent.infoHashHex, magnetOptions)
const parseOptions: ParseTorrentOptions = { sha1 }
const picker: PiecePicker | undefined = undefined
const choker: Choker | undefined = undefined
const have: Bitfield | undefined = undefined
if (magnet.infoHashHex !== torrent.infoHashHex || parseOptions.sha1 === undefined || picker !== undefined || choker !== undefined || have !== undefined) throw new RxTorrentError('mismatch', 'magnet')
const simOptions: SimulateSwarmOptions = { torrent: { length: 65536, pieceLength: 16384 }, leechers: 1, timeLimitMs: 10_000 }
const simulated: SwarmResult = await simulateSwarm(simOptions)
if (!simulated.complete) throw new RxTorrentError('mismatch', 'the simulated leecher did not complete')
console.log(JSON.stringify({ pieces: last.piecesVerified, frame: frames[0]?.type, range, decodeFrames: typeof decodeFrames, streamTorrent: typeof streamTorrent, httpPort: stream.httpPort, simulateSwarm: typeof simulateSwarm }))
`

/** The consumer's compiler options shared by both resolutions: strict, with the flags that are off by default. */
const STRICT = {
  target: 'ES2022',
  lib: ['ES2023'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  skipLibCheck: false
}

/** A tsconfig.json for module resolution `node16` or `bundler`, emitting into `out-<resolution>`. */
export function consumerTsconfig (resolution: 'node16' | 'bundler'): string {
  const module = resolution === 'node16' ? { module: 'node16', moduleResolution: 'node16' } : { module: 'esnext', moduleResolution: 'bundler' }
  return JSON.stringify({ compilerOptions: { ...STRICT, ...module, outDir: `out-${resolution}` }, files: ['index.ts'] }, null, 2)
}
