import { describe, expect, it } from 'vitest'
import { sessionTotals } from '../../../pipelines/session/session-progress.js'
import { SessionReporter, type TorrentRow } from '../../../pipelines/cli/session-reporter.js'
import { progress } from './fixtures.js'

function sink (isTTY = false): { write: (t: string) => void, isTTY: boolean, columns: number, text: () => string } {
  let text = ''
  return { write: t => { text += t }, isTTY, columns: 80, text: () => text }
}

const A = 'aa'.repeat(20)
const B = 'bb'.repeat(20)

function rows (a = progress({ infoHash: A, name: 'alpha' }), b?: ReturnType<typeof progress>): TorrentRow[] {
  return [
    { infoHash: A, name: 'alpha', progress: a },
    b === undefined ? { infoHash: B, name: 'bb12', status: 'metadata' } : { infoHash: B, name: 'beta', progress: b }
  ]
}

function update (r: SessionReporter, list: TorrentRow[]): void {
  r.update(list, sessionTotals(list.flatMap((x) => x.progress === undefined ? [] : [x.progress])))
}

describe('SessionReporter', () => {
  it('json: a progress record (with infoHash) only for a torrent whose progress changed, totals at most once a second, done and errors name the torrent', () => {
    const out = sink()
    let now = 0
    const r = new SessionReporter('json', out, sink(), { now: () => now })
    const first = rows()
    update(r, first)
    update(r, first) // nothing new
    now = 500
    const b = progress({ infoHash: B, name: 'beta', state: 'seeding', piecesVerified: 20 })
    update(r, rows(first[0]?.progress, b))
    r.done(b)
    r.error('beta did not complete: no peers', 'incomplete', B)
    r.end()
    const lines = out.text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => l.type)).toEqual(['progress', 'totals', 'progress', 'done', 'error', 'totals'])
    expect(lines[0]).toMatchObject({ infoHash: A, name: 'alpha', state: 'downloading' })
    expect(lines[1]).toMatchObject({ torrents: 1, complete: 0 })
    expect(lines[2]).toMatchObject({ infoHash: B, state: 'seeding' })
    expect(lines[3]).toMatchObject({ type: 'done', infoHash: B, name: 'beta', piecesVerified: 20 })
    expect(lines[4]).toEqual({ type: 'error', message: 'beta did not complete: no peers', code: 'incomplete', infoHash: B })
    expect(lines[5]).toMatchObject({ torrents: 2, complete: 1 })
  })

  it('tty: one line per torrent and a total line, redrawn in place; a warning is printed above them', () => {
    const err = sink(true)
    const r = new SessionReporter('tty', sink(), err, { now: () => 0 })
    update(r, rows())
    expect(err.text()).toBe([
      'alpha                    downloading  25.0% ↓1.5 MiB/s ↑0 B/s peers 3',
      'bb12                     metadata',
      'total: 0/2 complete 80.0 KiB/320 KiB ↓1.5 MiB/s ↑0 B/s peers 3'
    ].join('\n'))
    const before = err.text().length
    r.warning({ type: 'warning', message: 'peer\nsent junk', infoHash: A })
    // Back to the first line, erase, the warning, then the three lines again.
    expect(err.text().slice(before)).toMatch(/^\r\x1b\[2A\x1b\[Jrxtorrent: warning: peer sent junk\nalpha {20}downloading/)
    r.end()
    expect(err.text().endsWith('peers 3\n')).toBe(true)
  })

  it('plain: every line and the total every 5 s, a torrent\'s line when its state changes, control characters escaped', () => {
    const err = sink()
    let now = 0
    const r = new SessionReporter('plain', sink(), err, { now: () => now })
    const evil = progress({ infoHash: A, name: 'a\x1b[2Jb' })
    const list: TorrentRow[] = [{ infoHash: A, name: 'a\x1b[2Jb', progress: evil }]
    update(r, list)
    expect(err.text()).toBe('a\\u001b[2Jb: downloading 25.0% 5/20 pieces 80.0 KiB/320 KiB down 1.5 MiB/s up 0 B/s peers 3 eta 3m07s\ntotal: 0/1 complete 80.0 KiB/320 KiB ↓1.5 MiB/s ↑0 B/s peers 3\n')
    now = 1000
    update(r, [{ infoHash: A, name: 'a', progress: progress({ infoHash: A, elapsedMs: 2000 }) }])
    expect(err.text().split('\n')).toHaveLength(3) // same state, within 5 s: nothing
    update(r, [{ infoHash: A, name: 'a', progress: progress({ infoHash: A, state: 'seeding', piecesVerified: 20 }) }])
    expect(err.text().split('\n').at(-2)).toMatch(/^a: seeding 25\.0%/)
    now = 6000
    update(r, [{ infoHash: A, name: 'a', progress: progress({ infoHash: A, state: 'seeding', elapsedMs: 7000 }) }])
    expect(err.text().split('\n').at(-2)).toMatch(/^total: 1\/1 complete/)
  })

  it('quiet: nothing but errors', () => {
    const out = sink()
    const err = sink()
    const r = new SessionReporter('quiet', out, err, { now: () => 0 })
    update(r, rows())
    r.warning({ type: 'warning', message: 'x' })
    r.say('seeding alpha')
    r.error('boom')
    r.end()
    expect(out.text()).toBe('')
    expect(err.text()).toBe('rxtorrent: boom\n')
  })
})
