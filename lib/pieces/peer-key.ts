/** How a peer is identified in the planner (e.g. its `host:port`). */
export type PeerKey = string
