import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { Datagram } from '../../../lib/transport/datagram.js'
import { bindUdpSocket } from '../../../pipelines/node/udp-socket.js'

let cleanup: Array<() => unknown> = []
afterEach(async () => { for (const f of cleanup.reverse()) await f(); cleanup = [] })

describe('bindUdpSocket', () => {
  it('sends datagrams and receives them with their source address', async () => {
    const a = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
    const b = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
    cleanup.push(async () => { await a.close() }, async () => { await b.close() })
    const got = new Promise<Datagram>((resolve) => { b.receive(resolve) })
    await a.send(new Uint8Array([1, 2, 3]), b.address)
    const d = await got
    expect([...d.data]).toEqual([1, 2, 3])
    expect(d.from).toEqual({ host: '127.0.0.1', port: a.address.port })
  })

  it('fails with udp-port-taken when the port is bound by another socket', async () => {
    const other = createSocket('udp4')
    await new Promise<void>((resolve) => { other.bind(0, '127.0.0.1', resolve) })
    cleanup.push(() => { other.close() })
    const err = await bindUdpSocket({ host: '127.0.0.1', port: other.address().port }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'TransportError', code: 'udp-port-taken' })
  })

  it('a send after close rejects with a typed error', async () => {
    const a = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
    await a.close()
    await a.close()
    await expect(a.send(new Uint8Array([1]), { host: '127.0.0.1', port: 9 })).rejects.toMatchObject({ code: 'udp-send-failed' })
  })

  it.skipIf(process.env.RXTORRENT_NO_IPV6 === '1')('an IPv6 socket (skipped when RXTORRENT_NO_IPV6=1) sends to an IPv4 address and reports the sender in plain IPv4 form', async () => {
    const v6 = await bindUdpSocket({ host: '::', port: 0 })
    const v4 = await bindUdpSocket({ host: '127.0.0.1', port: 0 })
    cleanup.push(async () => { await v6.close() }, async () => { await v4.close() })
    const atV4 = new Promise<Datagram>((resolve) => { v4.receive(resolve) })
    await v6.send(new Uint8Array([9]), v4.address)
    expect((await atV4).from.port).toBe(v6.address.port)
    const atV6 = new Promise<Datagram>((resolve) => { v6.receive(resolve) })
    await v4.send(new Uint8Array([8]), { host: '127.0.0.1', port: v6.address.port })
    expect((await atV6).from).toEqual({ host: '127.0.0.1', port: v4.address.port })
  })
})
