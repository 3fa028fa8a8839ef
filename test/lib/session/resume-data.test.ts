import { describe, expect, it } from 'vitest'
import { encode } from '../../../lib/bencode/index.js'
import { Bitfield } from '../../../lib/pieces/bitfield.js'
import { decodeResume, encodeResume, ResumeDataError, type ResumeRecord } from '../../../lib/session/resume-data.js'
import { resumePlan } from '../../../lib/session/resume-plan.js'

const ih = new Uint8Array(20).fill(9)
const have = (n: number, set: number[]): Bitfield => { const b = new Bitfield(n); for (const i of set) b.set(i); return b }
const record: ResumeRecord = { infoHash: ih, have: have(10, [0, 1, 2, 5, 9]), files: [{ size: 100, mtimeMs: 1_700_000_000_123 }, { size: 0, mtimeMs: 5 }, { size: 900, mtimeMs: 1_700_000_000_456 }], savedAt: 42 }
const target = { infoHash: ih, pieceCount: 10, fileCount: 3 }
const code = (f: () => unknown): string => { try { f(); return 'ok' } catch (e) { return e instanceof ResumeDataError ? e.code : `other: ${String(e)}` } }

describe('resume data', () => {
  it('round-trips', () => {
    const back = decodeResume(encodeResume(record), target)
    expect([...back.have.indices()]).toEqual([0, 1, 2, 5, 9])
    expect(back.files).toEqual(record.files)
    expect(back.savedAt).toBe(42)
  })

  it('refuses a record for another torrent, truncated, garbled, of another version, or with a wrong bitfield or file list', () => {
    const bytes = encodeResume(record)
    expect(code(() => decodeResume(bytes, { ...target, infoHash: new Uint8Array(20) }))).toBe('resume-other-torrent')
    for (let cut = 0; cut < bytes.length; cut += 7) expect(code(() => decodeResume(bytes.subarray(0, cut), target))).toBe('resume-garbled')
    expect(code(() => decodeResume(new TextEncoder().encode('d3:fooi1ee'), target))).toBe('resume-garbled')
    expect(code(() => decodeResume(new TextEncoder().encode('li1ee'), target))).toBe('resume-garbled')
    const base = { format: 'rxtorrent resume data', version: 1, 'info-hash': ih, pieces: record.have.bytes, 'piece-count': 10, files: [{ size: 1, mtime: 1 }, { size: 0, mtime: 1 }, { size: 2, mtime: 2 }], 'saved-at': 1 }
    expect(code(() => decodeResume(encode({ ...base, version: 2 }), target))).toBe('resume-version')
    expect(code(() => decodeResume(encode({ ...base, 'piece-count': 11 }), target))).toBe('resume-bitfield')
    expect(code(() => decodeResume(encode({ ...base, pieces: new Uint8Array(5) }), target))).toBe('resume-bitfield')
    expect(code(() => decodeResume(encode({ ...base, pieces: new Uint8Array([0xff, 0xff]) }), target))).toBe('resume-bitfield')
    expect(code(() => decodeResume(encode({ ...base, files: base.files.slice(1) }), target))).toBe('resume-files')
    expect(code(() => decodeResume(encode({ ...base, files: [{ size: -1, mtime: 1 }, { size: 0, mtime: 1 }, { size: 2, mtime: 2 }] }), target))).toBe('resume-files')
    expect(code(() => decodeResume(encode({ ...base, files: ['x', 'y', 'z'] }), target))).toBe('resume-files')
  })

  it('never throws anything but ResumeDataError on random bytes', () => {
    let seed = 7
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
    const good = encodeResume(record)
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(good)
      for (let k = 0; k < 1 + (rnd() % 4); k++) bytes[rnd() % bytes.length] = rnd() & 0xff
      expect(code(() => decodeResume(bytes, target))).not.toMatch(/^other/)
    }
  })
})

describe('resumePlan', () => {
  // Pieces of 100 bytes; file 0: bytes 0-99 (piece 0), file 1: empty, file 2: bytes 100-999 (pieces 1-9).
  const files = [{ offset: 0, length: 100 }, { offset: 100, length: 0 }, { offset: 100, length: 900 }]

  it('files as recorded: the record is trusted, nothing is read', () => {
    const plan = resumePlan(record, record.files, files, 100)
    expect([...plan.trusted.indices()]).toEqual([0, 1, 2, 5, 9])
    expect(plan.recheck.count).toBe(0)
    expect(plan.changedFiles).toEqual([])
  })

  it('a file that changed (or is missing) has every piece it touches re-checked, recorded or not', () => {
    const touched = resumePlan(record, [record.files[0], record.files[1], { size: 900, mtimeMs: 1 }], files, 100)
    expect([...touched.trusted.indices()]).toEqual([0])
    expect([...touched.recheck.indices()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(touched.changedFiles).toEqual([2])
    const gone = resumePlan(record, [undefined, record.files[1], record.files[2]], files, 100)
    expect([...gone.trusted.indices()]).toEqual([1, 2, 5, 9])
    expect([...gone.recheck.indices()]).toEqual([0])
  })

  it('a piece shared by two files is re-checked when either changed', () => {
    const shared = [{ offset: 0, length: 150 }, { offset: 150, length: 850 }]
    const r: ResumeRecord = { ...record, files: [{ size: 150, mtimeMs: 1 }, { size: 850, mtimeMs: 2 }] }
    const plan = resumePlan(r, [{ size: 150, mtimeMs: 99 }, { size: 850, mtimeMs: 2 }], shared, 100)
    expect([...plan.recheck.indices()]).toEqual([0, 1])
    expect([...plan.trusted.indices()]).toEqual([2, 5, 9])
  })
})
