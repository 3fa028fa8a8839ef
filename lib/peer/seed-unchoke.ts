/** A peer as seen by {@link seedUnchoke}. */
export interface SeedPeer<K> {
  readonly id: K
  readonly interested: boolean
}

/** What to change after a {@link seedUnchoke} round. */
export interface UnchokeChanges<K> {
  readonly unchoke: K[]
  readonly choke: K[]
}

/**
 * The simple seeding rule: up to `slots` interested peers are unchoked,
 * first come first served. Peers already unchoked keep their slot while
 * they stay interested; peers that lost interest (or left the list) are
 * choked; free slots go to interested peers in the order given.
 * @throws nothing
 * @see BEP 3 (choking)
 */
export function seedUnchoke<K> (peers: readonly SeedPeer<K>[], unchoked: ReadonlySet<K>, slots: number): UnchokeChanges<K> {
  const keep = new Set<K>()
  for (const p of peers) if (p.interested && unchoked.has(p.id) && keep.size < slots) keep.add(p.id)
  const choke: K[] = []
  for (const id of unchoked) if (!keep.has(id)) choke.push(id)
  const unchoke: K[] = []
  for (const p of peers) {
    if (keep.size + unchoke.length >= slots) break
    if (p.interested && !unchoked.has(p.id)) unchoke.push(p.id)
  }
  return { unchoke, choke }
}
