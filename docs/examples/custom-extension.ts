// A custom BEP 10 extension, end to end: each side sends a short note once
// the other has said it understands `x_note`, and every note received comes
// out as an event. It uses exactly the API the built-in extensions use.
import { map, merge, of, tap, ignoreElements } from 'rxjs'
import type { Extension } from '../../operators/index.js'

export interface NoteEvent { readonly type: 'note', readonly from: string, readonly text: string }

export function notes (text: string): Extension<NoteEvent> {
  const utf8 = new TextEncoder()
  const read = new TextDecoder('utf-8', { fatal: false })
  return {
    name: 'x_note',
    attach: (messages$, peer) => merge(
      // Our note goes out once, when the remote's handshake names x_note.
      of(null).pipe(tap(() => { peer.send(utf8.encode(text.slice(0, 200))) }), ignoreElements()),
      // Theirs come in as events (at most 200 bytes each are read).
      messages$.pipe(map((payload) => ({ type: 'note' as const, from: peer.key, text: read.decode(payload.subarray(0, 200)) })))
    )
  }
}
