import { describe, expect, it } from 'vitest'
import { chooseMode, ProgressReporter } from '../../../pipelines/cli/progress-reporter.js'
import { progress } from './fixtures.js'

function sink (isTTY = false): { write: (t: string) => void, isTTY: boolean, columns: number, text: () => string } {
  let text = ''
  return { write: t => { text += t }, isTTY, columns: 80, text: () => text }
}

describe('chooseMode', () => {
  it('prefers json, then quiet, then the terminal test', () => {
    expect(chooseMode({ json: true }, sink(true))).toBe('json')
    expect(chooseMode({ quiet: true }, sink(true))).toBe('quiet')
    expect(chooseMode({}, sink(true))).toBe('tty')
    expect(chooseMode({}, sink(false))).toBe('plain')
  })
})

describe('ProgressReporter', () => {
  it('json: one parseable object per line for each progress, warning, then done', () => {
    const out = sink()
    const err = sink()
    const r = new ProgressReporter('json', out, err)
    r.progress(progress({ elapsedMs: 0 }))
    r.warning({ type: 'warning', message: 'peer sent junk', peer: '1.2.3.4:5', error: Object.assign(new Error('x'), { code: 'bad-bitfield' }) })
    r.progress(progress({ elapsedMs: 1000, state: 'seeding', piecesVerified: 20 }))
    r.done('ab'.repeat(20), 'x')
    const lines = out.text().trimEnd().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map(l => l.type)).toEqual(['progress', 'warning', 'progress', 'done'])
    expect(lines[0]).toMatchObject({ state: 'downloading', piecesVerified: 5, pieceCount: 20 })
    expect(lines[1]).toEqual({ type: 'warning', message: 'peer sent junk', peer: '1.2.3.4:5', code: 'bad-bitfield' })
    expect(lines[3]).toMatchObject({ type: 'done', infoHash: 'ab'.repeat(20), name: 'x', piecesVerified: 20 })
    expect(err.text()).toBe('')
  })

  it('json: errors go to stderr as one line and to stdout as a record', () => {
    const out = sink()
    const err = sink()
    new ProgressReporter('json', out, err).error('disk\nfull', 'disk-full')
    expect(err.text()).toBe('rxtorrent: disk full\n')
    expect(JSON.parse(out.text())).toEqual({ type: 'error', message: 'disk full', code: 'disk-full' })
  })

  it('plain: a line at most every 5 s of pipeline time, on each state change, and at the end', () => {
    const err = sink()
    const r = new ProgressReporter('plain', sink(), err)
    for (const t of [0, 1000, 4999, 5000, 6000, 9999, 10_000, 11_000]) r.progress(progress({ elapsedMs: t }))
    r.progress(progress({ elapsedMs: 11_500, state: 'seeding' }))
    r.progress(progress({ elapsedMs: 12_000, state: 'seeding' }))
    r.done('h', 'n')
    const lines = err.text().trimEnd().split('\n')
    expect(lines).toHaveLength(5)
    expect(lines.slice(0, 3).every(l => l.startsWith('downloading '))).toBe(true)
    expect(lines[3]).toMatch(/^seeding /)
    expect(lines[4]).toMatch(/^seeding /)
  })

  it('tty: redraws one line, keeps warnings above it, ends with a newline', () => {
    const err = sink(true)
    const r = new ProgressReporter('tty', sink(), err)
    r.progress(progress({ elapsedMs: 0 }))
    r.warning({ type: 'warning', message: 'slow peer' })
    r.progress(progress({ elapsedMs: 1000 }))
    r.done('h', 'n')
    const text = err.text()
    expect(text.startsWith('\r\x1b[2Kdownloading')).toBe(true)
    expect(text).toContain('\r\x1b[2Krxtorrent: warning: slow peer\n')
    expect(text.endsWith('\n')).toBe(true)
    expect(text.split('\n')).toHaveLength(3)
  })

  it('quiet: prints nothing but errors', () => {
    const out = sink()
    const err = sink()
    const r = new ProgressReporter('quiet', out, err)
    r.progress(progress())
    r.warning({ type: 'warning', message: 'w' })
    r.note('n')
    r.done('h', 'n')
    expect(out.text() + err.text()).toBe('')
    r.error('boom')
    expect(err.text()).toBe('rxtorrent: boom\n')
  })
})
