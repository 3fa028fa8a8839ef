import { describe, expect, it } from 'vitest'
import { ConnectionBudget, DEFAULT_SESSION_CONNECTIONS } from '../../../lib/session/connection-budget.js'

describe('ConnectionBudget: connections and dials across a session', () => {
  it('defaults to 200 connections, as libtorrent', () => {
    expect(new ConnectionBudget().maxConnections).toBe(DEFAULT_SESSION_CONNECTIONS)
    expect(DEFAULT_SESSION_CONNECTIONS).toBe(200)
  })

  it('room is bounded by the half-open limit and by the connections left; a failed dial frees both, a connected one keeps its slot', () => {
    const b = new ConnectionBudget({ maxConnections: 5, maxHalfOpen: 2 })
    expect(b.room()).toBe(2)
    b.dialStarted(); b.dialStarted()
    expect(b.room()).toBe(0)
    b.dialEnded(true)
    b.dialEnded(false)
    expect([b.used, b.dialing, b.room()]).toEqual([1, 0, 2])
    b.opened(); b.opened(); b.opened()
    expect([b.used, b.room(), b.full]).toEqual([4, 1, false])
    b.dialStarted()
    expect([b.room(), b.full]).toEqual([0, true])
    b.closed()
    expect([b.room(), b.full]).toEqual([1, false])
  })

  it('lowering the limit closes nothing but stops dials until enough connections end', () => {
    const b = new ConnectionBudget({ maxConnections: 4 })
    for (let i = 0; i < 4; i++) b.opened()
    b.setLimits({ maxConnections: 2 })
    expect([b.used, b.room(), b.full]).toEqual([4, 0, true])
    b.closed(); b.closed()
    expect(b.full).toBe(true)
    b.closed()
    expect([b.full, b.room()]).toEqual([false, 1])
  })

  it('counts never go below zero', () => {
    const b = new ConnectionBudget({ maxConnections: 2 })
    b.closed(); b.dialEnded(true)
    expect([b.used, b.dialing]).toEqual([0, 0])
  })

  it('a limit that is not a positive integer is a UsageError bad-limit, and changes nothing', () => {
    expect(() => new ConnectionBudget({ maxConnections: 0 })).toThrow(expect.objectContaining({ name: 'UsageError', code: 'bad-limit' }))
    const b = new ConnectionBudget({ maxConnections: 3, maxHalfOpen: 2 })
    expect(() => { b.setLimits({ maxConnections: 10, maxHalfOpen: 1.5 }) }).toThrow(expect.objectContaining({ code: 'bad-limit' }))
    expect([b.maxConnections, b.maxHalfOpen]).toEqual([3, 2])
  })
})
