import { describe, expect, it } from 'vitest'
import { FOLD_AT, LayeredMap } from '../../../lib/swarm/layered-map.js'
import { xorshift32 } from '../../../lib/pieces/xorshift32.js'

describe('LayeredMap', () => {
  it('behaves as a Map under random sets and deletes, order included, and never changes an older value', () => {
    const random = xorshift32(7)
    const model = new Map<string, number>()
    let m = LayeredMap.empty<string, number>()
    const history: Array<{ map: LayeredMap<string, number>, entries: Array<[string, number]> }> = []
    for (let i = 0; i < 2000; i++) {
      const key = `k${Math.floor(random() * 40)}`
      if (random() < 0.3) {
        model.delete(key)
        m = m.without(key)
      } else {
        model.set(key, i)
        m = m.with(key, i)
      }
      if (i % 37 === 0) history.push({ map: m, entries: [...model] })
      expect(m.size).toBe(model.size)
      expect(m.get(key)).toBe(model.get(key))
      expect(m.has(key)).toBe(model.has(key))
    }
    expect([...m]).toEqual([...model])
    expect([...m.keys()]).toEqual([...model.keys()])
    expect([...m.values()]).toEqual([...model.values()])
    for (const h of history) expect([...h.map.entries()]).toEqual(h.entries)
  })

  it('a deleted key set again goes last, as in a Map, also before a fold', () => {
    const m = LayeredMap.of([['a', 1], ['b', 2], ['c', 3]]).without('a').with('a', 4)
    expect([...m.keys()]).toEqual(['b', 'c', 'a'])
    expect(FOLD_AT).toBeGreaterThan(2)
  })

  it('without a missing key returns the same map; forEach passes value, key and the map', () => {
    const m = LayeredMap.of([['a', 1]])
    expect(m.without('z')).toBe(m)
    const seen: string[] = []
    m.forEach((v, k, map) => { seen.push(`${k}=${v}`); expect(map).toBe(m) })
    expect(seen).toEqual(['a=1'])
  })
})
