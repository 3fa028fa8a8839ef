import { describe, expect, it } from 'vitest'
import { formatBytes, formatEta, formatPercent, formatProgressBar, formatProgressLine, formatRate, oneLine, progressFraction, renderBar } from '../../../pipelines/cli/progress.js'
import { progress } from './fixtures.js'

describe('formatBytes', () => {
  it.each([
    [0, '0 B'], [1, '1 B'], [1023, '1023 B'], [1024, '1.0 KiB'], [1536, '1.5 KiB'],
    [100 * 1024, '100 KiB'], [1024 ** 2 - 1, '1024 KiB'], [5 * 1024 ** 3, '5.0 GiB'], [3 * 1024 ** 5, '3.0 PiB'],
    [-5, '0 B'], [Number.NaN, '0 B'], [Number.POSITIVE_INFINITY, '0 B']
  ])('%s → %s', (n, s) => { expect(formatBytes(n)).toBe(s) })
  it('formats rates', () => { expect(formatRate(2048)).toBe('2.0 KiB/s') })
})

describe('formatEta', () => {
  it.each([
    [null, '--'], [-1, '--'], [Number.NaN, '--'], [Number.POSITIVE_INFINITY, '--'],
    [0, '0s'], [0.2, '1s'], [59, '59s'], [60, '1m00s'], [187, '3m07s'], [3600, '1h00m'], [7500, '2h05m'],
    [86400 + 3 * 3600, '1d03h'], [100 * 86400, '>99d']
  ])('%s → %s', (s, text) => { expect(formatEta(s)).toBe(text) })
})

describe('renderBar and percent', () => {
  it('fills proportionally and clamps', () => {
    expect(renderBar(0, 10)).toBe('[----------]')
    expect(renderBar(0.5, 10)).toBe('[#####-----]')
    expect(renderBar(0.99, 10)).toBe('[#########-]')
    expect(renderBar(1, 10)).toBe('[##########]')
    expect(renderBar(2, 4)).toBe('[####]')
    expect(renderBar(-1, 4)).toBe('[----]')
    expect(renderBar(Number.NaN, 4)).toBe('[----]')
    expect(renderBar(0.5, 0)).toBe('[]')
  })
  it('floors percent so 100% means done', () => {
    expect(formatPercent(0.9999)).toBe('99.9%')
    expect(formatPercent(1)).toBe('100.0%')
    expect(formatPercent(0.4234)).toBe('42.3%')
  })
  it('uses pieces checked while checking, verified bytes otherwise', () => {
    expect(progressFraction(progress({ state: 'checking', piecesChecked: 10 }))).toBe(0.5)
    expect(progressFraction(progress())).toBe(0.25)
    expect(progressFraction(progress({ length: 0 }))).toBe(1)
  })
})

describe('progress lines', () => {
  it('renders the terminal bar line within the width', () => {
    const line = formatProgressBar(progress(), 80)
    expect(line).toContain('downloading')
    expect(line).toContain('25.0%')
    expect(line).toMatch(/\[#+-+\]/)
    expect(line).toContain('1.5 MiB/s')
    expect(line).toContain('ETA 3m07s')
    expect(line).toContain('peers 3')
    expect(line.length).toBeLessThan(80)
    for (const w of [20, 40, 60, 200]) expect(formatProgressBar(progress(), w).length).toBeLessThan(w)
  })
  it('renders the plain line', () => {
    expect(formatProgressLine(progress())).toBe('downloading 25.0% 5/20 pieces 80.0 KiB/320 KiB down 1.5 MiB/s up 0 B/s peers 3 eta 3m07s')
    expect(formatProgressLine(progress({ state: 'seeding', piecesVerified: 20, bytesVerified: 20 * 16384 }))).toBe('seeding 100.0% 20/20 pieces 320 KiB/320 KiB down 1.5 MiB/s up 0 B/s uploaded 0 B ratio 0.00 peers 3')
    expect(formatProgressLine(progress({ state: 'seeding', piecesVerified: 20, bytesVerified: 20 * 16384, uploaded: 480 * 1024, uploadRate: 2048, peers: 2 }))).toBe('seeding 100.0% 20/20 pieces 320 KiB/320 KiB down 1.5 MiB/s up 2.0 KiB/s uploaded 480 KiB ratio 1.50 peers 2')
    expect(formatProgressBar(progress({ state: 'seeding', piecesVerified: 20, bytesVerified: 20 * 16384, uploaded: 480 * 1024 }), 120)).toMatch(/↑0 B\/s sent 480 KiB ratio 1\.50 peers 3$/)
    // A seed of partial data serving what verified: what went up is shown too.
    expect(formatProgressLine(progress({ uploaded: 160 * 1024, uploadRate: 4096 }))).toBe('downloading 25.0% 5/20 pieces 80.0 KiB/320 KiB down 1.5 MiB/s up 4.0 KiB/s uploaded 160 KiB ratio 2.00 peers 3 eta 3m07s')
  })
  it('keeps messages on one line', () => {
    expect(oneLine('a\n  b\r\nc ')).toBe('a b c')
  })
})
