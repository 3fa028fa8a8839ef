import { spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'

/**
 * `.ci/run` runs the suite inside a network namespace that holds only
 * loopback (and sets RXTORRENT_REQUIRE_ISOLATION=1), so no test can send a
 * packet off the machine. This checks that the namespace is really there.
 *
 * The probes in this process only ever run when it sees no interface but
 * `lo`: on a machine with a network they would leave it. Outside the
 * namespace the same probe runs in a child inside a fresh one (or this
 * suite fails, when isolation is required), never from here.
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

/**
 * The probe, run in a child inside a fresh `unshare --net` namespace when
 * this process is not in one: what `.ci/run` relies on, shown from outside.
 */
const CHILD_PROBE = `
const { connect } = require('node:net')
const { networkInterfaces } = require('node:os')
const names = Object.keys(networkInterfaces())
if (names.some((n) => n !== 'lo')) { console.log(JSON.stringify({ names })); process.exit(0) }
const s = connect({ host: '${OUTSIDE}', port: 80 })
s.on('error', (e) => { console.log(JSON.stringify({ names, code: e.code })) })
s.on('connect', () => { console.log(JSON.stringify({ names, code: 'connected' })); s.destroy() })
`

describe('network isolation of the test run', () => {
  if (!isolated && !required) {
    const probe = spawnSync('unshare', ['--net', '--', process.execPath, '-e', CHILD_PROBE], { encoding: 'utf8', timeout: 10_000 })
    // Without a namespace (unshare needs root, as .ci/run has) the test is skipped, and its name says why.
    const made = probe.status === 0
    const why = made ? '' : ` (skipped: cannot make a network namespace here, unshare --net: ${(probe.stderr || probe.error?.message || 'failed').trim()}; needs root, as .ci/run has)`
    it.skipIf(!made)(`in a namespace like the one .ci/run makes, only lo is seen and a connection out fails at once${why}`, () => {
      // A fresh namespace has only `lo`, still down, so Node lists no interface at all.
      expect(JSON.parse(probe.stdout)).toEqual({ names: [], code: 'ENETUNREACH' })
    })
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
