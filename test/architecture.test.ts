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
      if (/\b(Date\.now|Math\.random|setTimeout|setInterval|performance\.now)\s*\(/.test(body)) bad.push(`${rel}: clock, timer or randomness`)
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
      if (/\b(Date\.now|Math\.random|setTimeout|setInterval|performance\.now)\s*\(/.test(body)) bad.push(`${rel}: clock, timer or randomness`)
    }
    expect(bad).toEqual([])
  })
})
