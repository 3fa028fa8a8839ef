/**
 * One UDP socket, several protocols: every datagram is classified
 * (`classifyDatagram`) and handed to exactly one consumer — the UDP tracker
 * transaction waiting for its id, the DHT, or uTP — or dropped and counted.
 *
 * @example
 * ```ts
 * const demux = new DatagramDemux(socket)
 * const tid = demux.tracker.claim(randomTid, (d) => onReply(d))
 * await demux.tracker.send(connectRequest(tid), tracker)
 * const detach = demux.attach('dht', (d) => dht.receive(d))
 * ```
 * @see BEP 5, BEP 15, BEP 29
 */
import { LIMITS } from '../constants.js'
import { RxTorrentError } from '../errors.js'
import { classifyDatagram, type DatagramDropReason } from './classify-datagram.js'
import type { Datagram, DatagramProtocol, DatagramSocket, TransactionDatagrams } from './datagram.js'
import type { PeerAddress } from './types.js'

/** Datagrams delivered per consumer and dropped per reason since the demultiplexer started. */
export interface DatagramStats {
  readonly tracker: number
  readonly dht: number
  readonly utp: number
  readonly dropped: Readonly<Record<DatagramDropReason, number>>
}

/** Options of {@link DatagramDemux}. */
export interface DatagramDemuxOptions {
  /** Longest datagram passed on; default `LIMITS.maxDatagramLength`. */
  readonly maxDatagramLength?: number
  /** Tracker transactions claimed at once; default `LIMITS.maxUdpTransactions`. */
  readonly maxTransactions?: number
}

/** Candidate transaction ids tried before a claim gives up. */
const CLAIM_TRIES = 64

/**
 * The demultiplexer of one {@link DatagramSocket}: it becomes the socket's
 * receiver. Consumers never see each other's datagrams, a consumer that
 * throws loses that datagram only, and a flood of garbage costs a
 * classification and a counter per datagram.
 * @see BEP 5, BEP 15, BEP 29
 */
export class DatagramDemux {
  /** The UDP tracker client's side: session-unique transaction ids. */
  readonly tracker: TransactionDatagrams
  readonly #socket: DatagramSocket
  readonly #transactions = new Map<number, (d: Datagram) => void>()
  readonly #consumers = new Map<DatagramProtocol, (d: Datagram) => void>()
  readonly #maxLength: number
  readonly #maxTransactions: number
  readonly #delivered = { tracker: 0, dht: 0, utp: 0 }
  readonly #dropped: Record<DatagramDropReason, number> = { empty: 0, oversized: 0, 'unknown-transaction': 0, unrecognised: 0, 'no-consumer': 0, 'consumer-failed': 0 }

  constructor (socket: DatagramSocket, options: DatagramDemuxOptions = {}) {
    this.#socket = socket
    this.#maxLength = options.maxDatagramLength ?? LIMITS.maxDatagramLength
    this.#maxTransactions = options.maxTransactions ?? LIMITS.maxUdpTransactions
    this.tracker = {
      send: (data, to) => this.#socket.send(data, to),
      claim: (candidate, receive) => this.#claim(candidate, receive),
      release: (tid) => { this.#transactions.delete(tid) }
    }
    socket.receive((d) => { this.deliver(d) })
  }

  /** The socket's local address. */
  get address (): PeerAddress {
    return this.#socket.address
  }

  /** Tracker transactions waiting for a reply. */
  get pendingTransactions (): number {
    return this.#transactions.size
  }

  /**
   * Send `data` to `to` from the shared socket (for the DHT and uTP; the
   * tracker client uses {@link DatagramDemux.tracker}).
   * @throws nothing; rejects as {@link DatagramSocket.send}
   */
  send (data: Uint8Array, to: PeerAddress): Promise<void> {
    return this.#socket.send(data, to)
  }

  /**
   * Deliver the DHT's or uTP's datagrams to `consumer` until the returned
   * function is called; a second consumer for one protocol replaces the first.
   */
  attach (protocol: DatagramProtocol, consumer: (d: Datagram) => void): () => void {
    this.#consumers.set(protocol, consumer)
    return () => { if (this.#consumers.get(protocol) === consumer) this.#consumers.delete(protocol) }
  }

  /**
   * Route one received datagram (the socket calls this; tests may too).
   * @throws nothing
   */
  deliver (d: Datagram): void {
    const verdict = classifyDatagram(d.data, (tid) => this.#transactions.has(tid), { maxLength: this.#maxLength })
    if (verdict.kind === 'drop') { this.#dropped[verdict.reason]++; return }
    const consumer = verdict.kind === 'tracker' ? this.#transactions.get(verdict.transactionId) : this.#consumers.get(verdict.kind)
    if (consumer === undefined) { this.#dropped['no-consumer']++; return }
    try {
      consumer(d)
      this.#delivered[verdict.kind]++
    } catch {
      this.#dropped['consumer-failed']++
    }
  }

  /**
   * Close the socket. Claimed transactions stay claimed until released (their
   * requests fail on their next send); consumers stay attached but hear nothing more.
   */
  close (): Promise<void> {
    return this.#socket.close()
  }

  /** What was delivered and dropped so far (a copy). */
  stats (): DatagramStats {
    return { ...this.#delivered, dropped: { ...this.#dropped } }
  }

  #claim (candidate: () => number, receive: (d: Datagram) => void): number {
    if (this.#transactions.size >= this.#maxTransactions) {
      throw new RxTorrentError('too-many-transactions', `${this.#transactions.size} UDP tracker transactions are already waiting`, { disposition: 'fatal' })
    }
    for (let i = 0; i < CLAIM_TRIES; i++) {
      const tid = candidate() >>> 0
      if (!this.#transactions.has(tid)) {
        this.#transactions.set(tid, receive)
        return tid
      }
    }
    throw new RxTorrentError('no-transaction-id', `no free transaction id in ${CLAIM_TRIES} tries`, { disposition: 'fatal' })
  }
}
