import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'

/**
 * `.ci/run` runs the suite inside a network namespace that holds only
 * loopback (and sets RXTORRENT_REQUIRE_ISOLATION=1), so no test can send a
 * packet off the machine. This checks that the namespace is really there.
 *
 * The probes only ever run when the process sees no interface but `lo`: on a
 * machine with a network they would leave it, so outside the namespace the
 * suite is skipped (or fails, when isolation is required) without sending.
 */
const required = process.env.RXTORRENT_REQUIRE_ISOLATION === '1'
const interfaces = Object.keys(networkInterfaces())
const isolated = interfaces.every((name) => name === 'lo')
/** TEST-NET-2 (RFC 5737): documentation addresses, never routed anywhere. */
const OUTSIDE = '198.51.100.7'

function tcpOutcome (host: string, port: number): Promise<{ code: string, ms: number }> {
  const started = performance.now()
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (code: string): void => { socket.destroy(); resolve({ code, ms: performance.now() - started }) }
    socket.once('connect', () => { done('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => { done(err.code ?? err.message) })
    socket.setTimeout(5_000, () => { done('timeout') })
  })
}

function udpOutcome (host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    socket.send(new Uint8Array(8), port, host, (err) => {
      socket.close()
      resolve(err === null || err === undefined ? 'sent' : ((err as NodeJS.ErrnoException).code ?? err.message))
    })
  })
}

describe('network isolation of the test run', () => {
  if (!isolated && !required) {
    it.skip(`not inside a loopback-only namespace (interfaces: ${interfaces.join(', ')}); .ci/run runs the suite inside one`, () => {})
    return
  }

  it('sees no network interface but loopback', () => {
    expect(interfaces).toEqual(['lo'])
  })

  it('a TCP connection to a non-loopback address fails at once', async () => {
    if (!isolated) throw new Error(`refusing to probe outside: interfaces ${interfaces.join(', ')}`)
    const { code, ms } = await tcpOutcome(OUTSIDE, 80)
    expect(code).toBe('ENETUNREACH')
    expect(ms).toBeLessThan(1_000)
  })

  it('a UDP datagram to a non-loopback address cannot be sent', async () => {
    if (!isolated) throw new Error(`refusing to probe outside: interfaces ${interfaces.join(', ')}`)
    expect(await udpOutcome(OUTSIDE, 6881)).toBe('ENETUNREACH')
  })

  it('loopback still works', async () => {
    const { code } = await tcpOutcome('127.0.0.1', 1)
    expect(code).toBe('ECONNREFUSED')
  })
})
