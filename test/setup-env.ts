import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The CLI keeps resume data in $XDG_STATE_HOME/rxtorrent by default: no test,
// nor a CLI process a test starts, writes into the real ~/.local/state.
process.env.XDG_STATE_HOME = mkdtempSync(join(tmpdir(), 'rxt-xdg-state-'))
