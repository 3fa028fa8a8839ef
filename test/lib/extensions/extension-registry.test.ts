import { describe, it, expect } from 'vitest'
import { ExtensionIds } from '../../../lib/extensions/extension-registry.js'
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../../lib/extensions/extended-handshake.js'
import { UsageError } from '../../../lib/errors.js'
import { bytes } from './helpers.js'

describe('ExtensionIds', () => {
  it('assigns our ids 1..n and maps incoming ids back to names', () => {
    const ids = new ExtensionIds(['ut_metadata', 'ut_pex'])
    expect({ ...ids.ourMap }).toEqual({ ut_metadata: 1, ut_pex: 2 })
    expect(ids.nameOfIncoming(1)).toBe('ut_metadata')
    expect(ids.nameOfIncoming(2)).toBe('ut_pex')
    expect(ids.nameOfIncoming(0)).toBeUndefined()
    expect(ids.nameOfIncoming(3)).toBeUndefined()
  })

  it('maps names to the ids the peer assigned, which differ from ours', () => {
    const ids = new ExtensionIds(['ut_metadata', 'ut_pex'])
    ids.applyRemote(decodeExtendedHandshake(bytes('d1:md6:ut_pexi1e11:ut_metadatai3eee')))
    expect(ids.remoteId('ut_metadata')).toBe(3)
    expect(ids.remoteId('ut_pex')).toBe(1)
    expect(ids.remoteId('lt_donthave')).toBeUndefined()
    expect(ids.nameOfIncoming(1)).toBe('ut_metadata')
  })

  it('a later handshake changes ids, disables with 0 and keeps names it does not list', () => {
    const ids = new ExtensionIds(['ut_metadata', 'ut_pex'])
    ids.applyRemote(decodeExtendedHandshake(bytes('d1:md11:ut_metadatai3e6:ut_pexi4eee')))
    ids.applyRemote(decodeExtendedHandshake(bytes('d1:md11:ut_metadatai7eee')))
    expect(ids.remoteId('ut_metadata')).toBe(7)
    expect(ids.remoteId('ut_pex')).toBe(4)
    ids.applyRemote(decodeExtendedHandshake(bytes('d1:md6:ut_pexi0eee')))
    expect(ids.remoteId('ut_pex')).toBeUndefined()
    expect(ids.remoteId('ut_metadata')).toBe(7)
  })

  it('our map round-trips through our own handshake', () => {
    const ours = new ExtensionIds(['ut_metadata', 'ut_pex'])
    const theirs = new ExtensionIds(['ut_pex'])
    theirs.applyRemote(decodeExtendedHandshake(encodeExtendedHandshake({ m: ours.ourMap })))
    expect(theirs.remoteId('ut_pex')).toBe(2)
    expect(ours.nameOfIncoming(theirs.remoteId('ut_pex') ?? -1)).toBe('ut_pex')
  })

  it('treats names as data, including __proto__', () => {
    const ids = new ExtensionIds(['__proto__'])
    expect(ids.ourMap.__proto__).toBe(1)
    ids.applyRemote(decodeExtendedHandshake(bytes('d1:md9:__proto__i5e11:constructori6eee')))
    expect(ids.remoteId('__proto__')).toBe(5)
    expect(ids.remoteId('toString')).toBeUndefined()
  })

  it('refuses duplicate names and more than 255 extensions', () => {
    expect(() => new ExtensionIds(['a', 'a'])).toThrow(UsageError)
    expect(() => new ExtensionIds(Array.from({ length: 256 }, (_, i) => `x${i}`))).toThrow(UsageError)
    expect(new ExtensionIds(Array.from({ length: 255 }, (_, i) => `x${i}`)).nameOfIncoming(255)).toBe('x254')
  })
})
