import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, sh } from './pack.js'

/**
 * The API reference (`npm run docs:api`, TypeDoc over the three entry points,
 * typedoc.json) builds without a warning: every type that an exported
 * signature mentions is exported too, every `{@link}` resolves, and every
 * export has a doc comment.
 */
describe('the API reference', () => {
  it('builds with TypeDoc without warnings', async () => {
    const typedoc = join(ROOT, 'node_modules/typedoc/bin/typedoc')
    const run = sh(process.execPath, [typedoc, '--emit', 'none', '--treatWarningsAsErrors', '--logLevel', 'Warn'], ROOT, 90_000, { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' })
    await expect(run).resolves.toBeDefined()
  }, 90_000)
})
