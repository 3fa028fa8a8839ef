import type { Observable, Subscription } from 'rxjs'
import type { Progress } from '../types.js'
import type { CliIo, StopSignal } from './cli-io.js'

/** How a run ended. */
export type Outcome =
  | { readonly kind: 'complete' }
  | { readonly kind: 'error', readonly error: unknown }
  | { readonly kind: 'signal', readonly signal: StopSignal }

/**
 * Subscribe to a torrent's progress until it completes, errors, or SIGINT/
 * SIGTERM arrives; then unsubscribe (which stops every connection) and stop
 * listening for signals, so a second signal kills the process as usual.
 * `onProgress` returning `'stop'` ends the run as complete (a seeding limit
 * reached); throwing ends it as an error. Never rejects.
 */
export async function runUntilStopped (progress$: Observable<Progress>, io: CliIo, onProgress: (p: Progress) => void | 'stop'): Promise<Outcome> {
  let stopListening = (): void => {}
  let sub: Subscription | undefined
  try {
    return await new Promise<Outcome>(resolve => {
      stopListening = io.onSignal(signal => { resolve({ kind: 'signal', signal }) })
      sub = progress$.subscribe({
        next: p => {
          try {
            if (onProgress(p) === 'stop') resolve({ kind: 'complete' })
          } catch (error) { resolve({ kind: 'error', error }) }
        },
        error: (error: unknown) => { resolve({ kind: 'error', error }) },
        complete: () => { resolve({ kind: 'complete' }) }
      })
    })
  } finally {
    stopListening()
    sub?.unsubscribe()
  }
}
