import { describe, expect, it } from 'vitest'
import { decode } from '../../../lib/bencode/decode.js'
import { encode } from '../../../lib/bencode/encode.js'
import type { BDict, BEncodable } from '../../../lib/bencode/types.js'
import { parseAnnounceTiers, parseHttpSeeds, parseUrlList } from '../../../lib/metainfo/trackers.js'

const dict = (v: Record<string, BEncodable>): BDict => decode(encode(v)) as BDict

describe('parseAnnounceTiers (BEP 12)', () => {
  it('announce alone is one tier', () => {
    expect(parseAnnounceTiers(dict({ announce: 'http://a/' }))).toEqual([['http://a/']])
    expect(parseAnnounceTiers(dict({}))).toEqual([])
    expect(parseAnnounceTiers(dict({ announce: '  ' }))).toEqual([])
  })

  it('announce-list wins; bad entries dropped, duplicates removed, empty tiers skipped', () => {
    const d = dict({
      announce: 'http://ignored/',
      'announce-list': [['http://a/', 'http://b/', 7, ''], 'not-a-tier', [], ['http://a/', ' http://c/ '], [new Uint8Array([0xff])]]
    })
    expect(parseAnnounceTiers(d)).toEqual([['http://a/', 'http://b/'], ['http://c/']])
  })

  it('an announce-list with nothing usable falls back to announce', () => {
    expect(parseAnnounceTiers(dict({ announce: 'http://a/', 'announce-list': [[''], []] }))).toEqual([['http://a/']])
  })
})

describe('web seeds', () => {
  it('BEP 19 url-list: string or list', () => {
    expect(parseUrlList(encodeValue('http://s/'))).toEqual(['http://s/'])
    expect(parseUrlList(encodeValue(['http://s/', 'http://s/', 1, 'http://t/']))).toEqual(['http://s/', 'http://t/'])
    expect(parseUrlList(undefined)).toEqual([])
    expect(parseUrlList(encodeValue(5))).toEqual([])
  })

  it('BEP 17 httpseeds', () => {
    expect(parseHttpSeeds(encodeValue(['http://h/']))).toEqual(['http://h/'])
  })
})

function encodeValue (v: BEncodable): ReturnType<typeof decode> {
  return decode(encode(v))
}
