/**
 * The stored shape of the memory projection's rows, decoded the same way on both dialects (node-postgres
 * returns BIGINT as text and TIMESTAMPTZ as a Date; SQLite returns numbers and ISO text).
 */
import { Schema } from "effect"
import { EventId, MemoryId, SessionId } from "../../domain/Ids.ts"
import { MemoryKind, MemoryRelation, MemoryScope } from "../../events/catalogue/MemoryEvents.ts"
import { SqlInt, SqlTimestamp } from "../../projections/SqlValues.ts"
import { MemoryEdge, MemoryRecord } from "./Model.ts"
import { vectorFromBytes } from "./retrieval/HashEmbedding.ts"

const JsonStrings = Schema.parseJson(Schema.Array(Schema.String))

export const MemoryRow = Schema.Struct({
  id: MemoryId,
  scope: MemoryScope,
  workspace: Schema.NullOr(Schema.String),
  session_id: Schema.NullOr(SessionId),
  user_id: Schema.NullOr(Schema.String),
  kind: MemoryKind,
  content: Schema.String,
  tags: JsonStrings,
  tags_text: Schema.String,
  importance: Schema.Number,
  confidence: Schema.Number,
  source_event_ids: Schema.parseJson(Schema.Array(EventId)),
  created_position: SqlInt,
  updated_position: SqlInt,
  created_at: SqlTimestamp,
  updated_at: SqlTimestamp,
  deleted: SqlInt,
  merged_into: Schema.NullOr(MemoryId),
  embedder: Schema.String,
  embedding: Schema.Uint8ArrayFromSelf
})
export type MemoryRow = typeof MemoryRow.Type

export const decodeMemoryRows = Schema.decodeUnknown(Schema.Array(MemoryRow))

export const toRecord = (r: MemoryRow): MemoryRecord =>
  new MemoryRecord({
    id: r.id,
    scope: r.scope,
    workspace: r.workspace,
    sessionId: r.session_id,
    userId: r.user_id,
    kind: r.kind,
    content: r.content,
    tags: r.tags,
    importance: r.importance,
    confidence: r.confidence,
    sourceEventIds: r.source_event_ids,
    createdPosition: r.created_position,
    updatedPosition: r.updated_position,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deleted: r.deleted !== 0,
    mergedInto: r.merged_into
  })

export const rowVector = (r: MemoryRow): Float32Array => vectorFromBytes(r.embedding)

export const EdgeRow = Schema.Struct({
  from_id: MemoryId,
  to_id: MemoryId,
  relation: MemoryRelation,
  weight: Schema.Number,
  position: SqlInt
})
export const decodeEdgeRows = Schema.decodeUnknown(Schema.Array(EdgeRow))

export const toEdge = (r: typeof EdgeRow.Type): MemoryEdge =>
  new MemoryEdge({ from: r.from_id, to: r.to_id, relation: r.relation, weight: r.weight, position: r.position })
