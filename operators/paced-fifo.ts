/** The queues of a paced link (`paced-link.ts`): chunks in flight and the join of a read. */

/** A chunk in flight on one direction of a paced link. */
export interface InFlight {
  readonly chunk: Uint8Array
  /** Exact time the chunk reaches the receiver's link, then the time it is received. */
  at: number
}

/** A FIFO of chunks in flight: an array and the index of its head, compacted now and then. */
export class Fifo {
  items: InFlight[] = []
  head = 0
  get size (): number { return this.items.length - this.head }
  at (i: number): InFlight { return this.items[this.head + i] as InFlight }
  push (f: InFlight): void { this.items.push(f) }
  /** Drops the first `n`. */
  drop (n: number): void {
    this.head += n
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }

  clear (): void { this.items = []; this.head = 0 }
}

/** The first `count` of `parts` copied into `out` (or a new buffer), `bytes` bytes in all; of each, `carried` leading bytes when given. */
export function join (parts: Fifo, count: number, bytes: number, out: Uint8Array | undefined, carried?: (chunk: Uint8Array) => number): Uint8Array {
  const target = out === undefined || out.length < bytes ? new Uint8Array(bytes) : out.subarray(0, bytes)
  let at = 0
  for (let i = 0; i < count; i++) {
    const c = parts.at(i).chunk
    const n = carried === undefined ? c.length : carried(c)
    target.set(n >= c.length ? c : c.subarray(0, n), at)
    at += c.length
  }
  return target
}
