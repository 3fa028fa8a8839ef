import { Subject, type Observable, type Subscription } from 'rxjs'
import { encodeExtendedHandshake, decodeExtendedHandshake, type ExtendedHandshake } from '../lib/extensions/extended-handshake.js'
import { ExtensionIds } from '../lib/extensions/extension-registry.js'
import { RxTorrentError } from '../lib/errors.js'
import type { Message } from '../lib/wire/types.js'

/** What an extension sees of the connection it runs on. */
export interface ExtensionPeer {
  /** The peer's key (its address). */
  readonly key: string
  /** The remote's latest extended handshake, once received. */
  readonly remote: () => ExtendedHandshake | undefined
  /**
   * Send a payload as this extension's message. Returns false (and sends
   * nothing) while the remote has not said it understands the extension.
   */
  readonly send: (payload: Uint8Array) => boolean
  /** End the connection with a typed error (its disposition decides the peer's fate). */
  readonly close: (err: Error) => void
}

/**
 * A BEP 10 extension: a name, optional fields for our extended handshake,
 * and an operator over the messages the remote sends under that name. The
 * operator runs once per connection that negotiated the extension (it is
 * subscribed when the remote's handshake names it) and its output events go
 * to the pipeline's `onExtensionEvent`. It must not throw for bad input from
 * the peer: it errors with a typed error, which ends that connection only.
 *
 * @example
 * const hello: Extension<string> = {
 *   name: 'x_hello',
 *   attach: (messages$, peer) => { peer.send(new TextEncoder().encode('hi')); return messages$.pipe(map((m) => new TextDecoder().decode(m))) }
 * }
 * @see BEP 10
 */
export interface Extension<E = unknown> {
  readonly name: string
  /** Fields merged into our extended handshake (e.g. `metadataSize`). */
  readonly handshakeFields?: () => Partial<ExtendedHandshake>
  /**
   * Run the extension on one peer: `messages$` is the payloads the peer sends
   * under this extension's name; the returned events go to the user
   * (`onExtensionEvent`). Unsubscribed when the connection ends.
   */
  readonly attach: (messages$: Observable<Uint8Array>, peer: ExtensionPeer) => Observable<E>
}

/** Options of {@link ExtensionChannel}: the connection it speaks on. */
export interface ExtensionChannelOptions {
  readonly key: string
  /** Queue a wire message to the peer. */
  readonly send: (msg: Message) => void
  /** End the connection with a typed error. */
  readonly close: (err: Error) => void
  /** Base fields of our handshake (`v`, `p`, `reqq`, `yourip`). */
  readonly handshake: Omit<ExtendedHandshake, 'm'>
  /** An extension's output. */
  readonly onEvent: (name: string, event: unknown) => void
  readonly maxMetadataSize?: number
}

/**
 * One connection's BEP 10 side: assigns our ids, sends our handshake, reads
 * the remote's (and later updates of it), routes each extended message to the
 * extension it was sent for, and runs every negotiated extension's operator.
 * Messages for ids we never assigned are dropped. A malformed handshake from
 * the peer closes the connection with its typed error.
 */
export class ExtensionChannel {
  readonly #extensions: ReadonlyArray<Extension>
  readonly #ids: ExtensionIds
  readonly #options: ExtensionChannelOptions
  readonly #inbox = new Map<string, Subject<Uint8Array>>()
  readonly #subs: Subscription[] = []
  #remote: ExtendedHandshake | undefined
  #stopped = false

  constructor (extensions: ReadonlyArray<Extension>, options: ExtensionChannelOptions) {
    this.#extensions = extensions
    this.#ids = new ExtensionIds(extensions.map((e) => e.name))
    this.#options = options
  }

  /** The remote's latest extended handshake. */
  get remote (): ExtendedHandshake | undefined { return this.#remote }

  /** Our id for each extension name. */
  get ourIds (): Readonly<Record<string, number>> { return this.#ids.ourMap }

  /** Send our extended handshake. */
  start (): void {
    let fields: Partial<ExtendedHandshake> = {}
    for (const e of this.#extensions) fields = { ...fields, ...(e.handshakeFields?.() ?? {}) }
    const h: ExtendedHandshake = { ...this.#options.handshake, ...fields, m: this.#ids.ourMap }
    this.#options.send({ type: 'extended', id: 0, payload: encodeExtendedHandshake(h) })
  }

  /** An extended message from the peer. */
  handle (id: number, payload: Uint8Array): void {
    if (this.#stopped) return
    if (id === 0) { this.#onHandshake(payload); return }
    const name = this.#ids.nameOfIncoming(id)
    if (name === undefined) return
    this.#inbox.get(name)?.next(payload)
  }

  /** Send a payload as extension `name`'s message; false when the remote lacks it. */
  send (name: string, payload: Uint8Array): boolean {
    const id = this.#ids.remoteId(name)
    if (id === undefined || this.#stopped) return false
    this.#options.send({ type: 'extended', id, payload })
    return true
  }

  /** Unsubscribe every extension on this connection; idempotent. */
  stop (): void {
    if (this.#stopped) return
    this.#stopped = true
    for (const s of this.#subs) s.unsubscribe()
    for (const inbox of this.#inbox.values()) inbox.complete()
  }

  #onHandshake (payload: Uint8Array): void {
    let h: ExtendedHandshake
    try {
      h = decodeExtendedHandshake(payload, this.#options.maxMetadataSize === undefined ? {} : { maxMetadataSize: this.#options.maxMetadataSize })
    } catch (err) {
      this.#options.close(err instanceof Error ? err : new RxTorrentError('bad-extended-handshake', String(err), { disposition: 'disconnect' }))
      return
    }
    this.#remote = h
    this.#ids.applyRemote(h)
    for (const ext of this.#extensions) {
      if (this.#inbox.has(ext.name) || this.#ids.remoteId(ext.name) === undefined) continue
      const inbox = new Subject<Uint8Array>()
      this.#inbox.set(ext.name, inbox)
      const peer: ExtensionPeer = {
        key: this.#options.key,
        remote: () => this.#remote,
        send: (p) => {
          const id = this.#ids.remoteId(ext.name)
          if (id === undefined || this.#stopped) return false
          this.#options.send({ type: 'extended', id, payload: p })
          return true
        },
        close: (err) => { this.#options.close(err) }
      }
      this.#subs.push(ext.attach(inbox.asObservable(), peer).subscribe({
        next: (event) => { this.#options.onEvent(ext.name, event) },
        error: (err: unknown) => { this.#options.close(err instanceof Error ? err : new RxTorrentError('extension-failed', String(err), { disposition: 'disconnect' })) }
      }))
    }
  }
}
