import { describe, expect, it } from 'vitest'
import { seedUnchoke } from '../../../lib/peer/seed-unchoke.js'

describe('seedUnchoke', () => {
  const peers = (spec: string): Array<{ id: string, interested: boolean }> =>
    spec.split(' ').map((p) => ({ id: p.replace('*', ''), interested: p.endsWith('*') }))

  it('unchokes interested peers first come first served up to the slots', () => {
    expect(seedUnchoke(peers('a b* c* d*'), new Set(), 2)).toEqual({ unchoke: ['b', 'c'], choke: [] })
  })

  it('keeps unchoked peers that stay interested and chokes those that lost interest or left', () => {
    expect(seedUnchoke(peers('a b* c d*'), new Set(['a', 'b', 'x']), 2)).toEqual({ unchoke: ['d'], choke: ['a', 'x'] })
  })

  it('changes nothing when the slots are full of interested peers', () => {
    expect(seedUnchoke(peers('a* b* c*'), new Set(['a', 'b']), 2)).toEqual({ unchoke: [], choke: [] })
  })
})
