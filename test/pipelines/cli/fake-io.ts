import { readFile, stat, writeFile } from 'node:fs/promises'
import type { CliIo, StopSignal } from '../../../pipelines/cli/cli-io.js'

/** A CliIo over the real file system that captures output and lets a test raise signals. */
export interface FakeIo extends CliIo {
  readonly out: () => string
  readonly err: () => string
  /** Deliver a signal to whoever listens; false when nobody does. */
  readonly raise: (s: StopSignal) => boolean
  /** Resolves when stdout has printed text matching `re`. */
  readonly waitForStdout: (re: RegExp) => Promise<RegExpMatchArray>
}

export function fakeIo (options: { tty?: boolean, columns?: number, now?: number } = {}): FakeIo {
  let out = ''
  let err = ''
  const handlers = new Set<(s: StopSignal) => void>()
  const waiters: { re: RegExp, resolve: (m: RegExpMatchArray) => void }[] = []
  const check = (): void => {
    for (const w of [...waiters]) {
      const m = out.match(w.re)
      if (m !== null) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m) }
    }
  }
  return {
    stdout: { write: t => { out += t; check() }, isTTY: false },
    stderr: { write: t => { err += t }, isTTY: options.tty === true, ...(options.columns === undefined ? {} : { columns: options.columns }) },
    readFile: async p => new Uint8Array(await readFile(p)),
    fileSize: async p => (await stat(p)).size,
    writeFile: async (p, d) => { await writeFile(p, d) },
    onSignal: h => { handlers.add(h); return () => { handlers.delete(h) } },
    nowSeconds: () => options.now ?? 1_700_000_000,
    out: () => out,
    err: () => err,
    raise: s => { const hs = [...handlers]; for (const h of hs) h(s); return hs.length > 0 },
    waitForStdout: async re => await new Promise(resolve => { waiters.push({ re, resolve }); check() })
  }
}
