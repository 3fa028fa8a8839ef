#!/usr/bin/env node
// The CLI runs from the TypeScript sources through tsx's loader, so a fresh
// clone needs only `npm ci`.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../pipelines/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
