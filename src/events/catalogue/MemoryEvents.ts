/**
 * Memory records and their graph (`memory-<memoryId>` streams), written by the memory service on behalf of
 * the agent's memory tools, the HTTP/RPC/CLI interfaces and the cortex; read by the memory projection.
 * A link and a merge live on the stream of the record they start from (`from`, `into`).
 */
import { Schema } from "effect"
import { EventId, MemoryId, SessionId } from "../../domain/Ids.ts"
import { UnitInterval } from "../../domain/Quantities.ts"

export const MemoryScope = Schema.Literal("global", "workspace", "session")
export type MemoryScope = typeof MemoryScope.Type

export const MemoryKind = Schema.Literal(
  "fact",
  "preference",
  "decision",
  "observation",
  "learned_heuristic",
  "identity",
  "goal"
)
export type MemoryKind = typeof MemoryKind.Type

export const MemoryRelation = Schema.Literal(
  "relates_to",
  "supports",
  "contradicts",
  "derived_from",
  "supersedes",
  "caused_by"
)
export type MemoryRelation = typeof MemoryRelation.Type

const Tag = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64))

export class MemoryRecorded extends Schema.TaggedClass<MemoryRecorded>()("MemoryRecorded", {
  memoryId: MemoryId,
  scope: MemoryScope,
  /** Set for workspace scope (and for session scope, the session's workspace). */
  workspace: Schema.optional(Schema.String),
  /** Set for session scope; for other scopes, the session that wrote it, if any. */
  sessionId: Schema.optional(SessionId),
  userId: Schema.optional(Schema.String),
  kind: MemoryKind,
  content: Schema.String.pipe(Schema.minLength(1)),
  tags: Schema.Array(Tag),
  importance: UnitInterval,
  confidence: UnitInterval,
  /** The events this memory was learned from (e.g. the tool call that wrote it). */
  sourceEventIds: Schema.Array(EventId)
}) {}

/** A partial change: only the fields present change. */
export class MemoryUpdated extends Schema.TaggedClass<MemoryUpdated>()("MemoryUpdated", {
  memoryId: MemoryId,
  content: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  kind: Schema.optional(MemoryKind),
  tags: Schema.optional(Schema.Array(Tag)),
  importance: Schema.optional(UnitInterval),
  confidence: Schema.optional(UnitInterval),
  sourceEventIds: Schema.Array(EventId)
}) {}

export class MemoryLinked extends Schema.TaggedClass<MemoryLinked>()("MemoryLinked", {
  from: MemoryId,
  to: MemoryId,
  relation: MemoryRelation,
  weight: UnitInterval,
  sourceEventIds: Schema.Array(EventId)
}) {}

/** Soft delete: hidden from search and graph, history kept; MemoryRestored undoes it. */
export class MemoryDeleted extends Schema.TaggedClass<MemoryDeleted>()("MemoryDeleted", {
  memoryId: MemoryId,
  reason: Schema.optional(Schema.String),
  sourceEventIds: Schema.Array(EventId)
}) {}

export class MemoryRestored extends Schema.TaggedClass<MemoryRestored>()("MemoryRestored", {
  memoryId: MemoryId,
  reason: Schema.optional(Schema.String),
  sourceEventIds: Schema.Array(EventId)
}) {}

/**
 * Near-duplicates consolidated into `into`: the merged records stay in history (their sources are kept on the
 * survivor) but no longer appear in search.
 */
export class MemoriesMerged extends Schema.TaggedClass<MemoriesMerged>()("MemoriesMerged", {
  into: MemoryId,
  merged: Schema.NonEmptyArray(MemoryId),
  /** Similarity that triggered the merge. */
  similarity: UnitInterval,
  /** The survivor's content after the merge, when it changed. */
  content: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  importance: UnitInterval,
  confidence: UnitInterval,
  sourceEventIds: Schema.Array(EventId)
}) {}
