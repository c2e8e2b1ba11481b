/**
 * Graph expansion: from seed records (with their relevance), walk the memory graph up to `maxDepth` hops
 * (edges undirected) and give each reached record seed relevance × product of edge weights × decay^depth,
 * summed over seeds (each seed reaches a node by its strongest path only). Pure.
 */

export interface Edge {
  readonly from: string
  readonly to: string
  readonly relation: string
  readonly weight: number
}

export interface GraphSettings {
  readonly maxDepth: number
  readonly decay: number
}

export const defaultGraph: GraphSettings = { maxDepth: 2, decay: 0.5 }

/** Undirected adjacency with the strongest weight per neighbour pair; zero-weight edges are ignored. */
export const adjacency = (edges: ReadonlyArray<Edge>): Map<string, Map<string, number>> => {
  const adj = new Map<string, Map<string, number>>()
  const put = (a: string, b: string, w: number) => {
    let row = adj.get(a)
    if (row === undefined) adj.set(a, row = new Map())
    row.set(b, Math.max(row.get(b) ?? 0, w))
  }
  for (const e of edges) {
    const w = Math.min(1, Math.max(0, e.weight))
    if (w <= 0 || e.from === e.to) continue
    put(e.from, e.to, w)
    put(e.to, e.from, w)
  }
  return adj
}

export interface Reached {
  readonly score: number
  /** Smallest depth at which any seed reached it. */
  readonly depth: number
}

/**
 * Graph scores of the nodes reached from `seeds` (seeds themselves excluded), for nodes `include` accepts
 * (live records matching the query's filters); walks pass only through accepted nodes.
 */
export const expand = (
  seeds: ReadonlyMap<string, number>,
  adj: ReadonlyMap<string, ReadonlyMap<string, number>>,
  include: (id: string) => boolean,
  settings: GraphSettings = defaultGraph
): Map<string, Reached> => {
  const reached = new Map<string, Reached>()
  for (const [seed, relevance] of [...seeds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const best = new Map<string, { strength: number; depth: number }>([[seed, { strength: 1, depth: 0 }]])
    // Level by level, each node extends the path it had when its level started, so no path exceeds maxDepth.
    let frontier: Array<readonly [string, number]> = [[seed, 1]]
    for (let depth = 1; depth <= settings.maxDepth && frontier.length > 0; depth++) {
      const next = new Map<string, number>()
      for (const [node, strength] of frontier) {
        for (const [neighbour, weight] of adj.get(node) ?? []) {
          if (!include(neighbour)) continue
          const candidate = strength * weight
          if ((best.get(neighbour)?.strength ?? 0) >= candidate || (next.get(neighbour) ?? 0) >= candidate) continue
          next.set(neighbour, candidate)
        }
      }
      for (const [node, strength] of next) best.set(node, { strength, depth })
      frontier = [...next]
    }
    for (const [node, { depth, strength }] of best) {
      if (node === seed || seeds.has(node)) continue
      const add = relevance * strength * Math.pow(settings.decay, depth)
      const prior = reached.get(node)
      reached.set(node, { score: (prior?.score ?? 0) + add, depth: Math.min(prior?.depth ?? depth, depth) })
    }
  }
  return reached
}
