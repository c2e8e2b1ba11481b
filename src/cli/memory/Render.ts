/**
 * Text and JSON forms of memory records, search results and graphs for `tau memory …`. JSON is the schemas'
 * encoding (what the HTTP and RPC interfaces answer).
 */
import { Effect, Schema } from "effect"
import { MemoryEdge, MemoryGraph, MemoryRecord, SearchResult } from "../../agent/memory/Model.ts"
import { RecordResult } from "../../http/memory/Schemas.ts"
import { table } from "../Output.ts"

export const toJson = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  Schema.encode(schema)(value).pipe(Effect.map((encoded) => JSON.stringify(encoded)), Effect.orDie)

export const recordJson = (r: MemoryRecord) => toJson(MemoryRecord, r)
export const recordResultJson = (r: RecordResult) => toJson(RecordResult, r)
export const resultsJson = (rs: ReadonlyArray<SearchResult>) => toJson(Schema.Array(SearchResult), rs)
export const edgeJson = (e: MemoryEdge) => toJson(MemoryEdge, e)
export const graphJson = (g: MemoryGraph) => toJson(MemoryGraph, g)

const f = (n: number) => n.toFixed(3)
const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`
}

const state = (r: MemoryRecord) =>
  r.mergedInto !== null ? `merged into ${r.mergedInto}` : r.deleted ? "deleted" : "live"

export const renderRecord = (r: MemoryRecord, edges: ReadonlyArray<MemoryEdge> = []) =>
  [
    table([
      ["id", r.id],
      ["state", state(r)],
      ["kind", r.kind],
      ["scope", [r.scope, r.workspace, r.sessionId].filter((x) => x !== null).join(" ")],
      ["tags", r.tags.length === 0 ? "-" : r.tags.join(", ")],
      ["importance", f(r.importance)],
      ["confidence", f(r.confidence)],
      ["created", `${r.createdAt.toISOString()} (position ${r.createdPosition})`],
      ["updated", `${r.updatedAt.toISOString()} (position ${r.updatedPosition})`],
      ["sources", r.sourceEventIds.length === 0 ? "-" : r.sourceEventIds.join(", ")]
    ]),
    "",
    r.content,
    ...(edges.length === 0 ? [] : ["", "links:", ...edges.map((e) => `  ${renderEdge(e)}`)])
  ].join("\n")

export const renderEdge = (e: MemoryEdge) => `${e.from} -[${e.relation} ${f(e.weight)}]-> ${e.to}`

const rankOf = (score: number | null, rank: number | null) => score === null ? "-" : `${f(score)} #${rank}`

export const renderResults = (rs: ReadonlyArray<SearchResult>) =>
  rs.length === 0 ? "no matches" : table([
    ["score", "vector", "lexical", "fused", "graph", "importance", "recency", "id", "kind", "content"],
    ...rs.map((r) => {
      const c = r.components
      return [
        f(r.score),
        rankOf(c.vector, c.vectorRank),
        rankOf(c.lexical, c.lexicalRank),
        f(c.fused),
        c.graphDepth === null ? f(c.graph) : `${f(c.graph)} @${c.graphDepth}`,
        f(c.importance),
        f(c.recency),
        r.memory.id,
        r.memory.kind,
        oneLine(r.memory.content, 60)
      ]
    })
  ])

export const renderGraph = (g: MemoryGraph) =>
  g.nodes.length === 0 ? "empty graph" : [
    table([
      ["depth", "id", "kind", "importance", "content"],
      ...g.nodes.map((n) => [String(n.depth), n.id, n.kind, f(n.importance), oneLine(n.content, 60)])
    ]),
    ...(g.edges.length === 0 ? [] : ["", ...g.edges.map(renderEdge)])
  ].join("\n")
