/**
 * An immutable map that changes cheaply: a shared base map plus a small
 * overlay of the changes made since, folded into a new base once it grows.
 * Setting or deleting one key copies the overlay (a few entries), not the
 * whole map, so a state of n entries changed one key at a time costs
 * O(overlay) per change plus O(n) every {@link FOLD_AT} changes, instead of
 * O(n) per change. The first iteration of a value builds its entries as one
 * plain map, kept (the next change starts from it). No map is ever mutated
 * once a value holds it: every older value stays valid.
 *
 * Iteration order is a `Map`'s: insertion order, a key set again keeps its
 * place, a deleted key set again goes last.
 */

/** Changes kept in the overlay before they are folded into a new base. */
export const FOLD_AT = 16

const GONE: unique symbol = Symbol('gone')

/**
 * A `ReadonlyMap` whose `with`/`without` return a new map and leave this
 * one unchanged.
 * @example
 * const a = LayeredMap.empty<string, number>().with('x', 1)
 * const b = a.with('x', 2)
 * a.get('x') // 1
 * b.get('x') // 2
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>
  readonly #overlay: ReadonlyMap<K, V | typeof GONE>
  /** The entries as one plain map, built at the first iteration (never mutated once built). */
  #flat: ReadonlyMap<K, V> | undefined
  /** Entries in the map. */
  readonly size: number

  private constructor (base: ReadonlyMap<K, V>, overlay: ReadonlyMap<K, V | typeof GONE>, size: number) {
    this.#base = base
    this.#overlay = overlay
    this.size = size
  }

  /** An empty map. */
  static empty<K, V> (): LayeredMap<K, V> {
    return new LayeredMap(new Map(), new Map(), 0)
  }

  /** The entries of `entries`, in that order (later duplicates win, keeping the first one's place). */
  static of<K, V> (entries: Iterable<readonly [K, V]>): LayeredMap<K, V> {
    const base = new Map<K, V>()
    for (const [k, v] of entries) base.set(k, v)
    return new LayeredMap(base, new Map(), base.size)
  }

  /** The value of `key`, if any. */
  get (key: K): V | undefined {
    const o = this.#overlay.get(key)
    if (o !== undefined) return o === GONE ? undefined : o
    return this.#overlay.has(key) ? undefined : this.#base.get(key)
  }

  /** Whether `key` has a value. */
  has (key: K): boolean {
    if (this.#overlay.has(key)) return this.#overlay.get(key) !== GONE
    return this.#base.has(key)
  }

  /** This map with `key` set to `value` (this map itself stays as it is). */
  with (key: K, value: V): LayeredMap<K, V> {
    if (this.#flat !== undefined && this.#overlay.size > 0) return this.#fold().with(key, value)
    const had = this.has(key)
    // A deleted base key set again goes last, as in a Map: fold first so the base forgets its place.
    if (!had && this.#base.has(key)) return this.#fold().with(key, value)
    const overlay = new Map(this.#overlay)
    overlay.set(key, value)
    return LayeredMap.#make(this.#base, overlay, had ? this.size : this.size + 1)
  }

  /** This map without `key`; this map itself when it has no `key`. */
  without (key: K): LayeredMap<K, V> {
    if (!this.has(key)) return this
    if (this.#flat !== undefined && this.#overlay.size > 0) return this.#fold().without(key)
    const overlay = new Map(this.#overlay)
    if (this.#base.has(key)) overlay.set(key, GONE)
    else overlay.delete(key)
    return LayeredMap.#make(this.#base, overlay, this.size - 1)
  }

  static #make<K, V> (base: ReadonlyMap<K, V>, overlay: Map<K, V | typeof GONE>, size: number): LayeredMap<K, V> {
    const m = new LayeredMap(base, overlay, size)
    return overlay.size >= FOLD_AT ? m.#fold() : m
  }

  #fold (): LayeredMap<K, V> {
    return new LayeredMap(this.#plain(), new Map(), this.size)
  }

  /** The entries as a plain map: the base itself, or one built once and kept. */
  #plain (): ReadonlyMap<K, V> {
    if (this.#overlay.size === 0) return this.#base
    if (this.#flat !== undefined) return this.#flat
    const flat = new Map<K, V>()
    for (const [k, v] of this.#base) {
      if (!this.#overlay.has(k)) flat.set(k, v)
      else {
        const o = this.#overlay.get(k) as V | typeof GONE
        if (o !== GONE) flat.set(k, o)
      }
    }
    for (const [k, o] of this.#overlay) if (o !== GONE && !this.#base.has(k)) flat.set(k, o)
    this.#flat = flat
    return flat
  }

  /** Entries in insertion order. */
  entries (): MapIterator<[K, V]> {
    return this.#plain().entries()
  }

  /** Keys in insertion order. */
  keys (): MapIterator<K> {
    return this.#plain().keys()
  }

  /** Values in insertion order. */
  values (): MapIterator<V> {
    return this.#plain().values()
  }

  /** Calls `callback` for each entry in insertion order. */
  forEach (callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#plain()) callback.call(thisArg, v, k, this)
  }

  /** Entries in insertion order. */
  [Symbol.iterator] (): MapIterator<[K, V]> {
    return this.entries()
  }
}
