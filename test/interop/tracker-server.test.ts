/**
 * libtorrent announces to rxtorrent's tracker (HTTP, then UDP) and finds its
 * peers through it: a libtorrent seeder and a libtorrent downloader share
 * nothing but the tracker URL in their .torrent, with DHT, LSD, UPnP and
 * NAT-PMP off, so the download can only finish if the tracker worked.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { startTracker, type TrackerServer } from '../../pipelines/tracker-server.js'
import { describeWithClients, hasLibtorrent, SYSTEM_PYTHON } from './helpers/clients.js'

const SCRIPT = String.raw`
import json, os, sys, time
import libtorrent as lt
tracker, work = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(work, 'seed'), exist_ok=True)
os.makedirs(os.path.join(work, 'get'), exist_ok=True)
data = bytes((i * 7 + (i >> 8)) & 0xff for i in range(3 * 65536 + 123))
with open(os.path.join(work, 'seed', 'payload.bin'), 'wb') as f:
    f.write(data)
fs = lt.file_storage()
lt.add_files(fs, os.path.join(work, 'seed', 'payload.bin'))
ct = lt.create_torrent(fs, 65536)
ct.add_tracker(tracker)
lt.set_piece_hashes(ct, os.path.join(work, 'seed'))
ti = lt.torrent_info(ct.generate())
def session():
    return lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                       'enable_upnp': False, 'enable_natpmp': False, 'allow_multiple_connections_per_ip': True,
                       'alert_mask': lt.alert.category_t.tracker_notification | lt.alert.category_t.error_notification})
seeder, getter = session(), session()
hs = seeder.add_torrent({'ti': ti, 'save_path': os.path.join(work, 'seed')})
deadline = time.time() + 30
while not hs.status().is_seeding:
    if time.time() > deadline:
        print(json.dumps({'event': 'error', 'message': 'seeder did not check its data'})); sys.exit(1)
    time.sleep(0.1)
hs.force_reannounce()
time.sleep(0.5)
hg = getter.add_torrent({'ti': lt.torrent_info(ct.generate()), 'save_path': os.path.join(work, 'get')})
replies = 0
def drain():
    global replies
    for a in seeder.pop_alerts() + getter.pop_alerts():
        if isinstance(a, lt.tracker_reply_alert):
            replies += 1
            print(json.dumps({'event': 'tracker_reply', 'peers': a.num_peers}))
        elif isinstance(a, (lt.tracker_error_alert, lt.tracker_warning_alert)):
            print(json.dumps({'event': 'tracker_error', 'message': a.message()}))
deadline = time.time() + 60
while not hg.status().is_seeding:
    drain()
    if time.time() > deadline:
        print(json.dumps({'event': 'error', 'message': 'download did not finish', 'progress': hg.status().progress})); sys.exit(1)
    time.sleep(0.1)
drain()
hg.flush_cache()
for _ in range(50):
    got = open(os.path.join(work, 'get', 'payload.bin'), 'rb').read()
    same = got == data
    if same:
        break
    time.sleep(0.1)
print(json.dumps({'event': 'done', 'same': same, 'len': len(got), 'first_diff': next((i for i in range(min(len(got), len(data))) if got[i] != data[i]), -1), 'replies': replies, 'peers': hg.status().list_peers}))
`

async function runPython (trackerUrl: string, work: string): Promise<{ code: number | null, lines: Array<Record<string, unknown>>, stderr: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', SCRIPT, trackerUrl, work], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', code => {
      const lines = out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown>)
      resolve({ code, lines, stderr: err })
    })
  })
}

describeWithClients('libtorrent announces to the rxtorrent tracker', [hasLibtorrent()], () => {
  let tracker: TrackerServer | undefined
  let work: string | undefined
  afterEach(async () => {
    await tracker?.close()
    if (work !== undefined) await rm(work, { recursive: true, force: true })
  })

  it.each(['http', 'udp'] as const)('over %s: the downloader gets the seeder from the tracker and completes', async (kind) => {
    tracker = await startTracker(kind === 'http' ? { httpPort: 0, interval: 5 } : { udpPort: 0, interval: 5 })
    work = await mkdtemp(join(tmpdir(), 'rxt-tracker-'))
    const url = (kind === 'http' ? tracker.httpUrl : tracker.udpUrl) as string
    const result = await runPython(url, work)
    const done = result.lines.find(l => l.event === 'done')
    expect(done, `libtorrent output: ${JSON.stringify(result.lines)} ${result.stderr}`).toBeDefined()
    expect(done?.same, JSON.stringify(done)).toBe(true)
    expect(result.lines.some(l => l.event === 'tracker_reply' && Number(l.peers) >= 1)).toBe(true)
    expect(result.lines.filter(l => l.event === 'tracker_error')).toEqual([])
    const stats = tracker.stats()
    expect(kind === 'http' ? stats.httpRequests : stats.udpPackets).toBeGreaterThanOrEqual(4)
  })
})
