/**
 * What the memory service reads and returns: records of the projection, edges, search requests and results,
 * and the graph a dashboard draws.
 */
import { Schema } from "effect"
import { EventId, MemoryId, SessionId } from "../../domain/Ids.ts"
import { UnitInterval } from "../../domain/Quantities.ts"
import { MemoryKind, MemoryRelation, MemoryScope } from "../../events/catalogue/MemoryEvents.ts"

export class MemoryRecord extends Schema.Class<MemoryRecord>("MemoryRecord")({
  id: MemoryId,
  scope: MemoryScope,
  workspace: Schema.NullOr(Schema.String),
  sessionId: Schema.NullOr(SessionId),
  userId: Schema.NullOr(Schema.String),
  kind: MemoryKind,
  content: Schema.String,
  tags: Schema.Array(Schema.String),
  /** As stored; search decays it by idle time without rewriting it. */
  importance: Schema.Number,
  confidence: Schema.Number,
  sourceEventIds: Schema.Array(EventId),
  createdPosition: Schema.Int,
  updatedPosition: Schema.Int,
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  deleted: Schema.Boolean,
  mergedInto: Schema.NullOr(MemoryId)
}) {
  get live(): boolean {
    return !this.deleted && this.mergedInto === null
  }
}

export class MemoryEdge extends Schema.Class<MemoryEdge>("MemoryEdge")({
  from: MemoryId,
  to: MemoryId,
  relation: MemoryRelation,
  weight: Schema.Number,
  position: Schema.Int
}) {}

export const SearchFilters = Schema.Struct({
  scope: Schema.optional(MemoryScope),
  workspace: Schema.optional(Schema.String),
  sessionId: Schema.optional(SessionId),
  userId: Schema.optional(Schema.String),
  kinds: Schema.optional(Schema.Array(MemoryKind)),
  /** Records must carry every one of these tags. */
  tags: Schema.optional(Schema.Array(Schema.String)),
  minScore: Schema.optional(UnitInterval),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 100))),
  /** Only what a session sees: global records, its workspace's, and its own session's. */
  visibleTo: Schema.optional(Schema.Struct({ workspace: Schema.optional(Schema.String), sessionId: Schema.optional(SessionId) })),
  /** Graph expansion (default on). */
  graph: Schema.optional(Schema.Boolean),
  /** Candidate lists to use: both (default), or one alone (for comparisons and debugging). */
  mode: Schema.optional(Schema.Literal("hybrid", "vector", "lexical"))
})
export type SearchFilters = typeof SearchFilters.Type

export const ScoreComponents = Schema.Struct({
  vector: Schema.NullOr(Schema.Number),
  vectorRank: Schema.NullOr(Schema.Int),
  lexical: Schema.NullOr(Schema.Number),
  lexicalRank: Schema.NullOr(Schema.Int),
  fused: Schema.Number,
  graph: Schema.Number,
  graphDepth: Schema.NullOr(Schema.Int),
  importance: Schema.Number,
  recency: Schema.Number
})

export class SearchResult extends Schema.Class<SearchResult>("SearchResult")({
  memory: MemoryRecord,
  score: Schema.Number,
  components: ScoreComponents
}) {}

export class GraphNode extends Schema.Class<GraphNode>("GraphNode")({
  id: MemoryId,
  kind: MemoryKind,
  importance: Schema.Number,
  content: Schema.String,
  /** Hops from the centre (0 for the centre or a query hit). */
  depth: Schema.Int
}) {}

export class MemoryGraph extends Schema.Class<MemoryGraph>("MemoryGraph")({
  nodes: Schema.Array(GraphNode),
  edges: Schema.Array(MemoryEdge)
}) {}

export const RecordInput = Schema.Struct({
  scope: MemoryScope,
  workspace: Schema.optional(Schema.String),
  sessionId: Schema.optional(SessionId),
  userId: Schema.optional(Schema.String),
  kind: MemoryKind,
  content: Schema.String,
  tags: Schema.optional(Schema.Array(Schema.String)),
  /** Defaults by kind (identity 1, goal 0.9, decision 0.85, preference 0.7, fact 0.65, heuristic 0.6, observation 0.3). */
  importance: Schema.optional(UnitInterval),
  confidence: Schema.optional(UnitInterval),
  sourceEventIds: Schema.optional(Schema.Array(EventId)),
  /** Merge into a near-identical live record instead of adding a duplicate (default true). */
  consolidate: Schema.optional(Schema.Boolean)
})
export type RecordInput = typeof RecordInput.Type

export const UpdateInput = Schema.Struct({
  content: Schema.optional(Schema.String),
  kind: Schema.optional(MemoryKind),
  tags: Schema.optional(Schema.Array(Schema.String)),
  importance: Schema.optional(UnitInterval),
  confidence: Schema.optional(UnitInterval),
  sourceEventIds: Schema.optional(Schema.Array(EventId))
})
export type UpdateInput = typeof UpdateInput.Type

/** Who caused a write: recorded as the events' causation id (and correlation id). */
export interface WriteContext {
  readonly causationId?: EventId | undefined
  readonly correlationId?: string | undefined
  readonly actor?: string | undefined
}

export interface RecordOutcome {
  readonly memory: MemoryRecord
  /** Set when the new record was consolidated into an existing one (which `memory` then is). */
  readonly mergedFrom: MemoryId | null
  readonly similarity: number | null
}
