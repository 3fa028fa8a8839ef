import { describe, expect, it } from 'vitest'
import { sharingFor } from '../../../lib/torrent/sharing.js'

describe('sharingFor (BEP 27)', () => {
  it('a private torrent shares nothing beyond its trackers, whatever the switches', () => {
    for (const options of [{}, { pex: true, dht: true, localDiscovery: true, trackers: true }]) {
      expect(sharingFor({ private: true }, options)).toEqual({ serveMetadata: false, peerExchange: false, trackerExchange: false, dht: false, localDiscovery: false })
    }
  })

  it('a public torrent shares what the user left on', () => {
    expect(sharingFor({ private: false })).toEqual({ serveMetadata: true, peerExchange: true, trackerExchange: true, dht: true, localDiscovery: true })
    expect(sharingFor({ private: false }, { pex: false })).toMatchObject({ serveMetadata: true, peerExchange: false, trackerExchange: false })
    expect(sharingFor({ private: false }, { trackers: false })).toMatchObject({ peerExchange: true, trackerExchange: false })
    expect(sharingFor({ private: false }, { dht: false, localDiscovery: false })).toMatchObject({ dht: false, localDiscovery: false })
  })
})
