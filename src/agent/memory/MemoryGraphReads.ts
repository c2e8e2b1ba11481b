/**
 * Graph reads over the projection: edges within n hops of a set of records (for search's graph expansion) and
 * bounded subgraphs of live records (neighbours, dashboard graph).
 */
import { Effect } from "effect"
import type { makeMemoryQueries } from "./MemoryQueries.ts"
import { GraphNode, MemoryGraph } from "./Model.ts"
import type { MemoryEdge } from "./Model.ts"

type Queries = Effect.Effect.Success<typeof makeMemoryQueries>

export const makeGraphReads = (queries: Queries) => {
  /** Every edge touching a record within `depth - 1` hops of `ids` (so paths of up to `depth` edges). */
  const edgesWithin = (ids: ReadonlyArray<string>, depth: number) =>
    Effect.gen(function*() {
      const seen = new Set(ids)
      const edges = new Map<string, MemoryEdge>()
      let frontier = [...ids]
      for (let d = 0; d < depth && frontier.length > 0; d++) {
        const found = yield* queries.edgesAround(frontier)
        const next: Array<string> = []
        for (const e of found) {
          edges.set(`${e.from}\u0000${e.to}\u0000${e.relation}`, e)
          for (const n of [e.from, e.to]) {
            if (!seen.has(n)) {
              seen.add(n)
              next.push(n)
            }
          }
        }
        frontier = next
      }
      return [...edges.values()]
    })

  /** Live records within `depth` hops of `centre` (breadth first, at most `maxNodes`) and the edges among them. */
  const around = (centre: ReadonlyArray<string>, depth: number, maxNodes: number) =>
    Effect.gen(function*() {
      const depthOf = new Map<string, number>()
      const rows = new Map((yield* queries.byIds(centre)).map((r) => [r.id as string, r]))
      for (const id of centre) if (rows.has(id) && depthOf.size < maxNodes) depthOf.set(id, 0)
      let frontier = [...depthOf.keys()]
      const edges: Array<MemoryEdge> = []
      for (let d = 1; d <= depth && frontier.length > 0; d++) {
        const found = yield* queries.edgesAround(frontier)
        edges.push(...found)
        const candidates = [...new Set(found.flatMap((e) => [e.from, e.to]))].filter((n) => !depthOf.has(n)).sort()
        for (const r of yield* queries.byIds(candidates)) rows.set(r.id, r)
        const next: Array<string> = []
        for (const id of candidates) {
          const row = rows.get(id)
          if (row === undefined || row.deleted !== 0 || row.merged_into !== null || depthOf.size >= maxNodes) continue
          depthOf.set(id, d)
          next.push(id)
        }
        frontier = next
      }
      const unique = new Map(edges.map((e) => [`${e.from}\u0000${e.to}\u0000${e.relation}`, e]))
      return new MemoryGraph({
        nodes: [...depthOf].map(([id, d]) => {
          const row = rows.get(id)!
          return new GraphNode({ id: row.id, kind: row.kind, importance: row.importance, content: row.content, depth: d })
        }),
        edges: [...unique.values()].filter((e) => depthOf.has(e.from) && depthOf.has(e.to) && e.weight > 0)
      })
    })

  return { edgesWithin, around } as const
}
