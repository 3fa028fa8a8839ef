import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The layering rules of docs/architecture.md, checked on every import:
 * lib/ is pure (no rxjs, no node:*, no clock or randomness), operators/ adds
 * rxjs and it-* but no node:* and no global timers, pipelines/ may use all.
 */
const root = join(import.meta.dirname, '..')

function tsFiles (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...tsFiles(p))
    else if (name.endsWith('.ts')) out.push(p)
  }
  return out
}

function imports (src: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  const found: string[] = []
  for (const m of src.matchAll(re)) found.push((m[1] ?? m[2]) as string)
  return found
}

/** Drop comments so a doc comment mentioning `Date.now()` is not a violation. */
function code (src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

describe('layering', () => {
  it('lib/ imports only lib/, uint8arraylist, and bencode (inside lib/bencode)', () => {
    const bad: string[] = []
    for (const f of tsFiles(join(root, 'lib'))) {
      const rel = relative(root, f)
      const src = readFileSync(f, 'utf8')
      for (const spec of imports(code(src))) {
        if (spec.startsWith('.')) {
          if (/(^|\/)(operators|pipelines)\//.test(join(rel, '..', spec))) bad.push(`${rel}: ${spec}`)
          continue
        }
        if (spec === 'uint8arraylist') continue
        if (spec === 'bencode' && rel.startsWith('lib/bencode/')) continue
        bad.push(`${rel}: ${spec}`)
      }
      const body = code(src)
      if (/\b(Date\.now|Math\.random|setTimeout|setInterval|setImmediate|queueMicrotask|performance\.now|getRandomValues)\s*\(/.test(body)) bad.push(`${rel}: clock, timer or randomness`)
      if (/\bnew\s+Date\b/.test(body)) bad.push(`${rel}: new Date`)
      if (/\bawait\b/.test(body)) bad.push(`${rel}: await`)
    }
    expect(bad).toEqual([])
  })

  it('operators/ imports no node:* and no pipelines/, and reads no global clock', () => {
    const bad: string[] = []
    for (const f of tsFiles(join(root, 'operators'))) {
      const rel = relative(root, f)
      const src = readFileSync(f, 'utf8')
      for (const spec of imports(code(src))) {
        if (spec.startsWith('node:') || ['fs', 'net', 'dgram', 'crypto', 'path', 'os'].includes(spec)) bad.push(`${rel}: ${spec}`)
        if (spec.startsWith('.') && /(^|\/)pipelines\//.test(join(rel, '..', spec))) bad.push(`${rel}: ${spec}`)
      }
      const body = code(src)
      if (/\b(Date\.now|Math\.random|setTimeout|setInterval|setImmediate|queueMicrotask|performance\.now|getRandomValues)\s*\(/.test(body)) bad.push(`${rel}: clock, timer or randomness`)
      if (/\bnew\s+Date\b/.test(body)) bad.push(`${rel}: new Date`)
    }
    expect(bad).toEqual([])
  })

  it('no module imports itself through a chain of imports, type-only imports included', () => {
    // Edges: every relative import and re-export, `import type` too: a type
    // cycle is a design cycle even though it vanishes at run time.
    const graph = new Map<string, string[]>()
    for (const dir of ['lib', 'operators', 'pipelines']) {
      for (const f of tsFiles(join(root, dir))) {
        const body = code(readFileSync(f, 'utf8'))
        const deps: string[] = []
        for (const m of body.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
          deps.push(join(f, '..', (m[1] as string).replace(/\.js$/, '.ts')))
        }
        graph.set(f, deps)
      }
    }
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const stack: string[] = []
    const visit = (f: string): void => {
      state.set(f, 'open')
      stack.push(f)
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue
        if (state.get(d) === 'open') cycles.push(stack.slice(stack.indexOf(d)).map((x) => relative(root, x)).join(' -> '))
        else if (!state.has(d)) visit(d)
      }
      stack.pop()
      state.set(f, 'done')
    }
    for (const f of graph.keys()) if (!state.has(f)) visit(f)
    expect(cycles).toEqual([])
  })

  it('the engine in pipelines/ imports nothing from pipelines/node/, directly or through another pipelines/ file', () => {
    // The engine runs on the platform it is given (storage, hasher,
    // transport, tracker client, web seeds). Only the entry points below
    // fill in the Node defaults (pipelines/node/defaults.ts); every other
    // file under pipelines/ (run-torrent, torrent-runtime, peer-connection,
    // fetch-metadata, peer-dialer, and new folders such as pipelines/torrent/)
    // is engine.
    const entries = new Set([
      'index.ts', 'download.ts', 'seed.ts', 'download-magnet.ts', 'magnet-metadata.ts', 'stream.ts',
      'demo.ts', 'parse-torrent-file.ts', 'tracker-server.ts', 'session.ts'
    ].map((f) => `pipelines/${f}`))
    const engine = tsFiles(join(root, 'pipelines')).map((f) => relative(root, f))
      // pipelines/sim/ (the rxtorrent/sim entry point) runs download and seed as a user does.
      .filter((rel) => !entries.has(rel) && !rel.startsWith('pipelines/node/') && !rel.startsWith('pipelines/cli/') && !rel.startsWith('pipelines/sim/'))
    expect(engine).toEqual(expect.arrayContaining(['pipelines/run-torrent.ts', 'pipelines/torrent-runtime.ts', 'pipelines/peer-connection.ts', 'pipelines/fetch-metadata.ts', 'pipelines/peer-dialer.ts']))
    const bad: string[] = []
    const seen = new Set<string>()
    const walk = (rel: string, from: string): void => {
      if (seen.has(rel)) return
      seen.add(rel)
      let src: string
      try { src = readFileSync(join(root, rel), 'utf8') } catch { return }
      for (const spec of imports(code(src))) {
        if (!spec.startsWith('.')) continue
        const dep = join(rel, '..', spec).replace(/\.js$/, '.ts')
        if (!dep.startsWith('pipelines/')) continue
        if (dep.startsWith('pipelines/node/')) {
          bad.push(`${from}${from === rel ? '' : ` (through ${rel})`}: ${spec}`)
          continue
        }
        walk(dep, from)
      }
    }
    for (const rel of engine) { seen.clear(); walk(rel, rel) }
    expect(bad).toEqual([])
  })
})
