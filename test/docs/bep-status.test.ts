/** docs/bep-status.md: one row per BEP, so a reader never meets two different answers. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('docs/bep-status.md', () => {
  it('lists each BEP once', () => {
    const text = readFileSync(new URL('../../docs/bep-status.md', import.meta.url), 'utf8')
    const numbers = [...text.matchAll(/^\|\s*(\d+)\s*\|/gm)].map((m) => Number(m[1]))
    expect(numbers.length).toBeGreaterThan(10)
    const repeated = numbers.filter((n, i) => numbers.indexOf(n) !== i)
    expect(repeated).toEqual([])
  })
})
