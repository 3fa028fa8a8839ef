/**
 * Per-connection extension ids, mapped both ways: the ids we assign (and the
 * peer must send with) and the ids the peer assigns (and we must send with).
 * @see BEP 10
 */
import { UsageError } from '../errors.js'
import type { ExtendedHandshake } from './extended-handshake.js'

/**
 * The extension ids of one connection. We number our extensions 1..n in the
 * order given; the peer's ids come from its extended handshakes. A later
 * handshake updates only the names it lists, and id 0 disables a name.
 */
export class ExtensionIds {
  /** Our extension name → the id we assigned; send it as `m` in our handshake. */
  readonly ourMap: Readonly<Record<string, number>>
  readonly #incoming = new Map<number, string>()
  readonly #remote = new Map<string, number>()

  /**
   * @param ours our extension names, in the order their ids are assigned (1, 2, …)
   * @throws UsageError `too-many-extensions` (more than 255) or `duplicate-extension`
   */
  constructor (ours: readonly string[]) {
    if (ours.length > 255) throw new UsageError('too-many-extensions', `${ours.length} extensions, at most 255 ids exist`)
    const map: Record<string, number> = Object.create(null) as Record<string, number>
    ours.forEach((name, i) => {
      if (name in map) throw new UsageError('duplicate-extension', `extension "${name}" listed twice`)
      map[name] = i + 1
      this.#incoming.set(i + 1, name)
    })
    this.ourMap = Object.freeze(map)
  }

  /**
   * Apply a handshake received from the peer: each listed name takes its new
   * id, id 0 removes it, names not listed keep their earlier id.
   * Never throws (ids were checked by the decoder).
   */
  applyRemote (h: ExtendedHandshake): void {
    for (const [name, id] of Object.entries(h.m)) {
      if (id === 0) this.#remote.delete(name)
      else this.#remote.set(name, id)
    }
  }

  /** The id to send extension `name` with, or `undefined` when the peer has not enabled it. */
  remoteId (name: string): number | undefined {
    return this.#remote.get(name)
  }

  /**
   * The extension an incoming extended message belongs to, from the id we
   * assigned; `undefined` for an id we never assigned (ignore the message).
   * Id 0 is the handshake, not an extension, so it is `undefined` too.
   */
  nameOfIncoming (id: number): string | undefined {
    return this.#incoming.get(id)
  }
}
