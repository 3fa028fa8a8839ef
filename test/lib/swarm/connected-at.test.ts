/**
 * A peer that dialed us is not dialed back: once its extended handshake says
 * where it listens (BEP 10 `p`), that address counts as connected.
 */
import { describe, expect, it } from 'vitest'
import { emptySwarm, reduceSwarm, type SwarmEvent } from '../../../lib/swarm/swarm-state.js'
import { isConnectedAt, keepsNewDuplicate, resolveDuplicate } from '../../../lib/swarm/swarm-selectors.js'

describe('isConnectedAt', () => {
  const events: SwarmEvent[] = [
    { type: 'peer-connected', key: '127.0.0.1:46256', outgoing: false, address: { host: '127.0.0.1', port: 46256 }, at: 0 },
    { type: 'peer-connected', key: '10.0.0.2:6881', outgoing: true, address: { host: '10.0.0.2', port: 6881 }, at: 0 }
  ]
  const s = events.reduce(reduceSwarm, emptySwarm())

  it('knows a connection by its key, and an incoming one by the port it listens on once told', () => {
    expect(isConnectedAt(s, '10.0.0.2:6881')).toBe(true)
    expect(isConnectedAt(s, '127.0.0.1:46256')).toBe(true)
    expect(isConnectedAt(s, '127.0.0.1:42397')).toBe(false)
    const told = reduceSwarm(s, { type: 'reachable', key: '127.0.0.1:46256', address: { host: '127.0.0.1', port: 42397 } })
    expect(isConnectedAt(told, '127.0.0.1:42397')).toBe(true)
    expect(isConnectedAt(told, '127.0.0.2:42397')).toBe(false)
  })

  it('forgets a peer that left', () => {
    const told = reduceSwarm(s, { type: 'reachable', key: '127.0.0.1:46256', address: { host: '127.0.0.1', port: 42397 } })
    const gone = reduceSwarm(told, { type: 'peer-closed', key: '127.0.0.1:46256', reason: 'done', at: 5 })
    expect(isConnectedAt(gone, '127.0.0.1:42397')).toBe(false)
  })
})

describe('keepsNewDuplicate', () => {
  it('keeps, at both ends, the connection dialed by the greater peer id', () => {
    const a = 'ff'.repeat(20)
    const b = '00'.repeat(20)
    // c1: a dialed b. c2: b dialed a. Whichever arrives second, both ends keep c1.
    // At a: c1 is outgoing, c2 incoming. At b: c1 is incoming, c2 outgoing.
    expect(keepsNewDuplicate(a, b, true)).toBe(true) // c1 new at a: keep
    expect(keepsNewDuplicate(a, b, false)).toBe(false) // c2 new at a: refuse
    expect(keepsNewDuplicate(b, a, false)).toBe(true) // c1 new at b: keep
    expect(keepsNewDuplicate(b, a, true)).toBe(false) // c2 new at b: refuse
  })
})

describe('resolveDuplicate', () => {
  const ours = 'ff'.repeat(20)
  const theirs = '11'.repeat(20)
  const connected = (key: string, host: string, outgoing: boolean, peerId?: string): SwarmEvent[] => [
    { type: 'peer-connected', key, outgoing, address: { host, port: Number(key.split(':')[1]) }, at: 0 },
    ...(peerId === undefined ? [] : [{ type: 'handshake' as const, key, peerId, client: 'x', at: 0 }])
  ]

  it('a unique peer id is admitted', () => {
    const s = [...connected('10.0.0.2:6881', '10.0.0.2', true, theirs), ...connected('10.0.0.3:6881', '10.0.0.3', true)].reduce(reduceSwarm, emptySwarm())
    expect(resolveDuplicate(s, ours, '10.0.0.3:6881', '22'.repeat(20))).toEqual({ kind: 'unique' })
  })

  it('a crossed dial from one host keeps, at our end, our own dial when our id is greater', () => {
    // We dialed 10.0.0.2:6881 and it dialed us (from port 50000): keep ours, close or refuse its.
    const incomingFirst = [...connected('10.0.0.2:50000', '10.0.0.2', false, theirs), ...connected('10.0.0.2:6881', '10.0.0.2', true)].reduce(reduceSwarm, emptySwarm())
    expect(resolveDuplicate(incomingFirst, ours, '10.0.0.2:6881', theirs)).toEqual({ kind: 'replace', close: '10.0.0.2:50000' })
    const outgoingFirst = [...connected('10.0.0.2:6881', '10.0.0.2', true, theirs), ...connected('10.0.0.2:50000', '10.0.0.2', false)].reduce(reduceSwarm, emptySwarm())
    expect(resolveDuplicate(outgoingFirst, ours, '10.0.0.2:50000', theirs)).toEqual({ kind: 'refuse-new', sameHost: true })
  })

  it('the same peer id from another host never closes the live connection', () => {
    const s = [...connected('10.0.0.2:50000', '10.0.0.2', false, theirs), ...connected('10.0.0.9:6881', '10.0.0.9', true)].reduce(reduceSwarm, emptySwarm())
    expect(resolveDuplicate(s, ours, '10.0.0.9:6881', theirs)).toEqual({ kind: 'refuse-new', sameHost: false })
  })
})
