/**
 * Wire schemas of the memory interfaces (HTTP group, RPC group, CLI JSON output): request bodies, the
 * string-encoded query parameters of search and graph, and the result of a create. Definitions only.
 */
import { Schema } from "effect"
import { MemoryId, SessionId } from "../../domain/Ids.ts"
import { UnitInterval } from "../../domain/Quantities.ts"
import { MemoryKind, MemoryRelation, MemoryScope } from "../../events/catalogue/MemoryEvents.ts"
import { MemoryRecord } from "../../agent/memory/Model.ts"
import type { SearchFilters } from "../../agent/memory/Model.ts"

/** What a create answers: the record, or the live record it was consolidated into (`mergedFrom` then set). */
export class RecordResult extends Schema.Class<RecordResult>("RecordResult")({
  memory: MemoryRecord,
  mergedFrom: Schema.NullOr(MemoryId),
  similarity: Schema.NullOr(Schema.Number)
}) {}

export const LinkInput = Schema.Struct({
  to: MemoryId,
  relation: MemoryRelation,
  /** Default 1; re-linking the same (from, to, relation) replaces it. */
  weight: Schema.optional(UnitInterval)
})
export type LinkInput = typeof LinkInput.Type

/** Body of delete (optional) and restore. */
export const ReasonInput = Schema.Struct({ reason: Schema.optional(Schema.String.pipe(Schema.maxLength(1000))) })
export type ReasonInput = typeof ReasonInput.Type

/** `a,b,c` in a query string; empty items dropped. */
const CommaList = <A, I extends string>(item: Schema.Schema<A, I>) =>
  Schema.transform(
    Schema.String,
    Schema.Array(Schema.String),
    {
      strict: true,
      decode: (s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0),
      encode: (xs) => xs.join(",")
    }
  ).pipe(Schema.compose(Schema.Array(item)))

const IntFromString = (min: number, max: number) =>
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))

/** Filters of search as query parameters (everything a string). */
const filterParams = {
  scope: Schema.optional(MemoryScope),
  workspace: Schema.optional(Schema.String),
  sessionId: Schema.optional(SessionId),
  userId: Schema.optional(Schema.String),
  /** Comma-separated kinds; a record matches any of them. */
  kind: Schema.optional(CommaList(MemoryKind)),
  /** Comma-separated tags; a record must carry all of them. */
  tags: Schema.optional(CommaList(Schema.String)),
  minScore: Schema.optional(Schema.NumberFromString.pipe(Schema.between(0, 1))),
  limit: Schema.optional(IntFromString(1, 100)),
  mode: Schema.optional(Schema.Literal("hybrid", "vector", "lexical")),
  graph: Schema.optional(Schema.BooleanFromString)
}

export const SearchParams = Schema.Struct({ q: Schema.String, ...filterParams })
export type SearchParams = typeof SearchParams.Type

/** Bounds of a subgraph: depth 1–2 (default 2), at most 200 nodes (default 50). */
export const GraphBounds = Schema.Struct({
  depth: Schema.optional(Schema.Int.pipe(Schema.between(1, 2))),
  maxNodes: Schema.optional(Schema.Int.pipe(Schema.between(1, 200)))
})
export type GraphBounds = typeof GraphBounds.Type

export const GraphBoundsParams = Schema.Struct({
  depth: Schema.optional(IntFromString(1, 2)),
  maxNodes: Schema.optional(IntFromString(1, 200))
})

export const QueryGraphParams = Schema.Struct({ q: Schema.String, ...filterParams, ...GraphBoundsParams.fields })
export type QueryGraphParams = typeof QueryGraphParams.Type

/** The service's filters from decoded query parameters (or an RPC payload of the same shape). */
export const toFilters = (p: Omit<SearchParams, "q">): SearchFilters => ({
  ...(p.scope === undefined ? {} : { scope: p.scope }),
  ...(p.workspace === undefined ? {} : { workspace: p.workspace }),
  ...(p.sessionId === undefined ? {} : { sessionId: p.sessionId }),
  ...(p.userId === undefined ? {} : { userId: p.userId }),
  ...(p.kind === undefined ? {} : { kinds: p.kind }),
  ...(p.tags === undefined ? {} : { tags: p.tags }),
  ...(p.minScore === undefined ? {} : { minScore: p.minScore }),
  ...(p.limit === undefined ? {} : { limit: p.limit }),
  ...(p.mode === undefined ? {} : { mode: p.mode }),
  ...(p.graph === undefined ? {} : { graph: p.graph })
})

export const toBounds = (
  p: { readonly depth?: number | undefined; readonly maxNodes?: number | undefined }
): { readonly depth?: number; readonly maxNodes?: number } => ({
  ...(p.depth === undefined ? {} : { depth: p.depth }),
  ...(p.maxNodes === undefined ? {} : { maxNodes: p.maxNodes })
})
