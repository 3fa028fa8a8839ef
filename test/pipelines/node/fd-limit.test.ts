import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_OPEN_FILES } from '../../../pipelines/node/open-file-budget.js'
import { openFilesFor, parseOpenFilesLimit } from '../../../pipelines/node/fd-limit.js'

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            140                  524288               files
Max locked memory         8388608              8388608              bytes
`

describe('the default number of open files follows the process limit', () => {
  it('reads the soft limit from /proc/<pid>/limits', () => {
    expect(parseOpenFilesLimit(LIMITS)).toBe(140)
    expect(parseOpenFilesLimit(LIMITS.replace('140 ', 'unlimited '))).toBeUndefined()
    expect(parseOpenFilesLimit('nothing here')).toBeUndefined()
  })

  it('keeps three quarters of the descriptors for sockets, between 4 and the default', () => {
    expect(openFilesFor(140)).toBe(35)
    expect(openFilesFor(256)).toBe(64)
    expect(openFilesFor(1024)).toBe(DEFAULT_MAX_OPEN_FILES)
    expect(openFilesFor(8)).toBe(4)
    expect(openFilesFor(undefined)).toBe(DEFAULT_MAX_OPEN_FILES)
  })

  it('a process under ulimit -n 140 defaults to 35 open files', () => {
    const script = `import { defaultMaxOpenFiles } from ${JSON.stringify(join(import.meta.dirname, '../../../pipelines/node/fd-limit.ts'))}; console.log(defaultMaxOpenFiles())`
    const r = spawnSync('bash', ['-c', 'ulimit -n 140 && exec "$@"', 'x', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('35')
  })
})
