/**
 * Buffers whose memory address is a multiple of {@link DIRECT_IO_ALIGNMENT},
 * for writes that bypass the page cache (`O_DIRECT`): the kernel rejects
 * those from memory it cannot hand to the device as is (`EINVAL`).
 *
 * JavaScript cannot ask where an ArrayBuffer lives, and Node's buffers are
 * `malloc`ed (16-byte aligned at best). A `WebAssembly.Memory` is mapped by
 * the engine's page allocator, so its first byte is page-aligned; views at
 * multiples of 4096 from its start are aligned too. Memories are carved into
 * views from slabs and never grown (growing would detach every view). A slab
 * is freed by the garbage collector once no view of it is left.
 */

/** Alignment of addresses, file offsets and lengths for direct writes: a page, which covers 512- and 4096-byte devices. */
export const DIRECT_IO_ALIGNMENT = 4096

const WASM_PAGE = 64 * 1024
/** The one part of the WebAssembly API used here (the project's type libraries leave it out). */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number, maximum: number }) => { readonly buffer: ArrayBuffer } } }).WebAssembly
/** The ArrayBuffers of every memory made here, to tell their views apart. */
const aligned = new WeakSet<ArrayBufferLike>()

/** Options of {@link AlignedAllocator}. */
export interface AlignedAllocatorOptions {
  /** Bytes per slab; default 32 MiB. A request larger than half a slab gets memory of its own. */
  readonly slabBytes?: number
}

/**
 * Hands out zero-filled views at aligned addresses, from slabs. Made for a
 * pool that reuses what it gets (`BufferPool`): nothing is given back here.
 */
export class AlignedAllocator {
  readonly #slabBytes: number
  #slab: Uint8Array | undefined
  #used = 0

  constructor (options: AlignedAllocatorOptions = {}) {
    this.#slabBytes = roundUp(Math.max(WASM_PAGE, options.slabBytes ?? 32 * 1024 * 1024), WASM_PAGE)
  }

  /**
   * A view of `length` bytes whose address is a multiple of
   * {@link DIRECT_IO_ALIGNMENT}; plain (unaligned) memory when the engine
   * cannot make more WebAssembly memory (`isAligned` tells them apart, and
   * the storage writes those through the page cache).
   * @throws RangeError for a negative or non-integer length.
   */
  allocate (length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad length ${length}`)
    const size = roundUp(Math.max(1, length), DIRECT_IO_ALIGNMENT)
    if (size > this.#slabBytes / 2) return memory(size)?.subarray(0, length) ?? new Uint8Array(length)
    if (this.#slab === undefined || this.#used + size > this.#slab.length) {
      const slab = memory(this.#slabBytes)
      // No memory of that kind to be had (address space, a limit): plain memory, written through the cache.
      if (slab === undefined) return new Uint8Array(length)
      this.#slab = slab
      this.#used = 0
    }
    const view = this.#slab.subarray(this.#used, this.#used + length)
    this.#used += size
    return view
  }
}

/**
 * True when `view` starts at an address that is a multiple of `alignment`
 * (at most 64 KiB): it lies in memory made here, at such an offset.
 */
export function isAligned (view: Uint8Array, alignment: number = DIRECT_IO_ALIGNMENT): boolean {
  return aligned.has(view.buffer) && view.byteOffset % alignment === 0 && WASM_PAGE % alignment === 0
}

/** A new memory of at least `bytes`, or `undefined` when the engine cannot make one (a RangeError: more than 4 GiB, or no address space left). */
function memory (bytes: number): Uint8Array | undefined {
  const pages = Math.ceil(bytes / WASM_PAGE)
  let mem: { readonly buffer: ArrayBuffer }
  try {
    mem = new Memory({ initial: pages, maximum: pages })
  } catch (e) {
    if (e instanceof RangeError) return undefined
    throw e
  }
  aligned.add(mem.buffer)
  return new Uint8Array(mem.buffer)
}

function roundUp (n: number, step: number): number {
  return Math.ceil(n / step) * step
}
