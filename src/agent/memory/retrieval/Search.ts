/**
 * Hybrid ranking, given the candidate lists: vector similarity and full-text BM25 fused by reciprocal rank,
 * expanded over the memory graph, then scaled by importance (decayed by idle time) and recency. Every result
 * keeps its component scores, so a caller can see why it ranked. Pure: the memory service gathers the inputs.
 */
import type { MemoryKind } from "../../../events/catalogue/MemoryEvents.ts"
import { defaultGraph, expand } from "./GraphExpansion.ts"
import type { GraphSettings } from "./GraphExpansion.ts"
import { rrf, rrfK, rrfMax } from "./Rrf.ts"
import { defaultScoring, effectiveImportance, finalScore, recency } from "./Scoring.ts"
import type { ScoringSettings } from "./Scoring.ts"

export interface Hit {
  readonly id: string
  readonly score: number
}

export interface RankMeta {
  readonly kind: MemoryKind
  readonly importance: number
  readonly updatedAtMs: number
}

export interface Components {
  /** Cosine similarity to the query, when the record was a vector candidate. */
  readonly vector: number | null
  readonly vectorRank: number | null
  /** Full-text score (higher is better), when the record matched the text query. */
  readonly lexical: number | null
  readonly lexicalRank: number | null
  /** Reciprocal-rank fusion of both lists, divided by its maximum (so in [0, 1]). */
  readonly fused: number
  /** Relevance passed on by graph neighbours within two hops. */
  readonly graph: number
  readonly graphDepth: number | null
  /** Importance after idle-time decay. */
  readonly importance: number
  readonly recency: number
}

export interface Ranked {
  readonly id: string
  readonly score: number
  readonly components: Components
}

export interface RankInput {
  readonly vector: ReadonlyArray<Hit>
  readonly lexical: ReadonlyArray<Hit>
  readonly adjacency: ReadonlyMap<string, ReadonlyMap<string, number>>
  /** Metadata of an eligible record (live and matching the filters); undefined excludes it. */
  readonly meta: (id: string) => RankMeta | undefined
  readonly nowMs: number
  readonly limit: number
  readonly minScore: number
  readonly useGraph?: boolean
  readonly scoring?: ScoringSettings
  readonly graph?: GraphSettings
  readonly k?: number
}

const byScoreThenId = (a: { id: string; score: number }, b: { id: string; score: number }) =>
  b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export const rank = (input: RankInput): ReadonlyArray<Ranked> => {
  const k = input.k ?? rrfK
  const scoring = input.scoring ?? defaultScoring
  const vector = input.vector.filter((h) => input.meta(h.id) !== undefined)
  const lexical = input.lexical.filter((h) => input.meta(h.id) !== undefined)
  const lists = [{ ids: vector.map((h) => h.id) }, { ids: lexical.map((h) => h.id) }]
  const fusedRaw = rrf(lists, k)
  const max = rrfMax(lists, k)
  const relevance = new Map([...fusedRaw].map(([id, s]) => [id, s / max]))

  const seeds = new Map(
    [...relevance].map(([id, score]) => ({ id, score })).sort(byScoreThenId).slice(0, 2 * input.limit).map((
      s
    ) => [s.id, s.score])
  )
  const graph = input.useGraph === false
    ? new Map()
    : expand(seeds, input.adjacency, (id) => input.meta(id) !== undefined, input.graph ?? defaultGraph)

  const vectorAt = new Map(vector.map((h, i) => [h.id, { score: h.score, rank: i + 1 }]))
  const lexicalAt = new Map(lexical.map((h, i) => [h.id, { score: h.score, rank: i + 1 }]))
  const ids = new Set([...relevance.keys(), ...graph.keys()])
  const ranked: Array<Ranked> = []
  for (const id of ids) {
    const meta = input.meta(id)!
    const fused = relevance.get(id) ?? 0
    const reached = graph.get(id)
    const importance = effectiveImportance(meta.importance, meta.kind, meta.updatedAtMs, input.nowMs, scoring)
    const fresh = recency(meta.updatedAtMs, input.nowMs, scoring)
    const score = finalScore(Math.min(1, fused + (reached?.score ?? 0)), importance, fresh, scoring)
    if (score < input.minScore || score <= 0) continue
    ranked.push({
      id,
      score,
      components: {
        vector: vectorAt.get(id)?.score ?? null,
        vectorRank: vectorAt.get(id)?.rank ?? null,
        lexical: lexicalAt.get(id)?.score ?? null,
        lexicalRank: lexicalAt.get(id)?.rank ?? null,
        fused,
        graph: reached?.score ?? 0,
        graphDepth: reached?.depth ?? null,
        importance,
        recency: fresh
      }
    })
  }
  return ranked.sort(byScoreThenId).slice(0, input.limit)
}
