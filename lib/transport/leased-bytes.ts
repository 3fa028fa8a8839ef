/**
 * Bytes lent to a transport by their owner (an upload's block, a view into a
 * pooled piece buffer): the transport calls {@link LeasedBytes.release} once
 * it no longer needs them (handed to the kernel, or dropped with the
 * connection), and the owner may then reuse the memory. A transport that
 * does not know this type treats them as any `Uint8Array` and never
 * releases them; the owner then lets them go to the garbage collector
 * instead of reusing them, so forgetting to release costs memory churn,
 * never corrupt data.
 *
 * Views made from a lease (`subarray`, `slice`) are plain leases with no
 * owner: releasing them does nothing.
 */
export class LeasedBytes extends Uint8Array {
  #release: (() => void) | undefined

  /** A view of `length` bytes of `buffer` at `byteOffset`; `release` is called once, by the first {@link LeasedBytes.release}. */
  constructor (buffer: ArrayBufferLike, byteOffset: number, length: number, release?: () => void) {
    super(buffer as ArrayBuffer, byteOffset, length)
    this.#release = release
  }

  /** Give the bytes back to their owner. Later calls do nothing. */
  release (): void {
    const r = this.#release
    this.#release = undefined
    r?.()
  }

  /** Derived views are plain `Uint8Array`s. */
  static get [Symbol.species] (): Uint8ArrayConstructor { return Uint8Array }
}
