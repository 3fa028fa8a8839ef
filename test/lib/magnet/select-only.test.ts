import { describe, it, expect } from 'vitest'
import { formatSelectOnly, parseSelectOnly } from '../../../lib/magnet/select-only.js'
import { MagnetError } from '../../../lib/errors.js'

describe('BEP 53 select-only', () => {
  it('expands ranges, sorts and dedupes', () => {
    expect(parseSelectOnly('0,2,4-6')).toEqual([0, 2, 4, 5, 6])
    expect(parseSelectOnly('7,1,1-3,,')).toEqual([1, 2, 3, 7])
    expect(parseSelectOnly('')).toEqual([])
  })

  it('formats runs as ranges', () => {
    expect(formatSelectOnly([6, 5, 4, 2, 0, 2])).toBe('0,2,4-6')
    expect(formatSelectOnly([])).toBe('')
    expect(formatSelectOnly([3])).toBe('3')
  })

  it('rejects bad items and too many indices', () => {
    for (const bad of ['a', '-1', '1-', '3-1', '1.5', '1 2', '0-10000000000']) {
      expect(() => parseSelectOnly(bad), bad).toThrow(MagnetError)
    }
    expect(() => parseSelectOnly('0-10', 10)).toThrow(MagnetError)
    expect(parseSelectOnly('0-9', 10)).toHaveLength(10)
  })
})
