/**
 * What the cortex observer concludes from rewards (the single `cortex` stream): heuristics with their
 * evidence, and the bulletin injected into later sessions' system prompts.
 */
import { Schema } from "effect"
import { BulletinId, EventId, HeuristicId, MemoryId, ModelName, Position } from "../../domain/Ids.ts"
import { Count, UnitInterval } from "../../domain/Quantities.ts"

/** model: written by a (recorded) model call; deterministic: the no-model fallback rules. */
export const CortexMethod = Schema.Literal("model", "deterministic")
export type CortexMethod = typeof CortexMethod.Type

/** Evidence: the events (usually RewardAssigned) a conclusion rests on. */
const Evidence = Schema.NonEmptyArray(EventId)

export class HeuristicLearned extends Schema.TaggedClass<HeuristicLearned>()("HeuristicLearned", {
  heuristicId: HeuristicId,
  /** The advice as injected into a system prompt. */
  text: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2000)),
  /** Task category it applies to; absent = all. */
  category: Schema.optional(Schema.String),
  confidence: UnitInterval,
  evidence: Evidence,
  method: CortexMethod,
  model: Schema.optional(ModelName)
}) {}

export class HeuristicReinforced extends Schema.TaggedClass<HeuristicReinforced>()("HeuristicReinforced", {
  heuristicId: HeuristicId,
  /** Confidence after this evidence. */
  confidence: UnitInterval,
  evidence: Evidence
}) {}

export class HeuristicWeakened extends Schema.TaggedClass<HeuristicWeakened>()("HeuristicWeakened", {
  heuristicId: HeuristicId,
  confidence: UnitInterval,
  evidence: Evidence
}) {}

export class HeuristicRetired extends Schema.TaggedClass<HeuristicRetired>()("HeuristicRetired", {
  heuristicId: HeuristicId,
  reason: Schema.Literal("low_confidence", "contradicted", "superseded", "stale", "operator"),
  supersededBy: Schema.optional(HeuristicId),
  evidence: Schema.Array(EventId)
}) {}

export class BulletinPublished extends Schema.TaggedClass<BulletinPublished>()("BulletinPublished", {
  bulletinId: BulletinId,
  /** The text injected into system prompts (bounded). */
  content: Schema.String.pipe(Schema.maxLength(8000)),
  heuristicIds: Schema.Array(HeuristicId),
  memoryIds: Schema.Array(MemoryId),
  method: CortexMethod,
  model: Schema.optional(ModelName),
  /** The log position the cortex had processed when it wrote this, so replay can tell what it knew. */
  upToPosition: Position,
  sessionsConsidered: Count
}) {}
