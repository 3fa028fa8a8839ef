/** Warnings of one simulated peer's engine kept for its result: the first few, how many, and the limit closes among them. */
export class WarningLog {
  /** The first {@link WarningLog.KEEP} messages, a peer's address replaced by its name. */
  readonly kept: string[] = []
  count = 0
  /** Connections closed at the connection limit (BEP 40 replacement or refusal). */
  limitCloses = 0
  static readonly KEEP = 10

  /** @param nameOf peer name of a host */
  constructor (readonly nameOf: (host: string) => string) {}

  /** Count one warning; `peer` is the connection's `host:port`. */
  add (message: string, peer: string | undefined, error: Error | undefined): void {
    this.count++
    const code = (error as { code?: unknown } | undefined)?.code
    if (code === 'replaced-by-priority' || code === 'connection-limit') this.limitCloses++
    if (this.kept.length < WarningLog.KEEP) this.kept.push(peer === undefined ? message : `${this.nameOf(peer.replace(/:\d+$/, ''))}: ${message}`)
  }
}

/** How a peer's stopping error reads in its result: `code: message`. */
export function simErrorText (e: unknown): string {
  return e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)
}
