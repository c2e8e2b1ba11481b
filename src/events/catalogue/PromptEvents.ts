/**
 * System prompt versions (`prompt-<name>` streams), written by the trainer (APO candidates, adoption after an
 * experiment) and by operators (manual versions, rollback); read by prompt assembly and the prompts projection.
 */
import { Schema } from "effect"
import { EventId, ExperimentId, PromptName, PromptVersionId } from "../../domain/Ids.ts"
import { Count, UnitInterval } from "../../domain/Quantities.ts"

/** seed: the built-in base prompt; apo: beam search over critiques; manual: written by an operator. */
export const PromptOrigin = Schema.Literal("seed", "apo", "manual")
export type PromptOrigin = typeof PromptOrigin.Type

export class PromptCandidateProposed extends Schema.TaggedClass<PromptCandidateProposed>()("PromptCandidateProposed", {
  promptName: PromptName,
  promptVersion: PromptVersionId,
  parentVersion: Schema.optional(PromptVersionId),
  /** The full prompt text (a version is immutable). */
  content: Schema.String.pipe(Schema.minLength(1)),
  origin: PromptOrigin,
  round: Schema.optional(Count),
  critique: Schema.optional(Schema.String),
  /** Offline evaluator score, when one was computed. */
  score: Schema.optional(UnitInterval),
  /** Rewards / sessions the candidate was derived from. */
  evidence: Schema.Array(EventId)
}) {}

export class PromptAdopted extends Schema.TaggedClass<PromptAdopted>()("PromptAdopted", {
  promptName: PromptName,
  promptVersion: PromptVersionId,
  previousVersion: Schema.optional(PromptVersionId),
  reason: Schema.Literal("initial", "experiment_won", "manual"),
  experimentId: Schema.optional(ExperimentId)
}) {}

export class PromptRolledBack extends Schema.TaggedClass<PromptRolledBack>()("PromptRolledBack", {
  promptName: PromptName,
  /** The version that was active and is withdrawn. */
  fromVersion: PromptVersionId,
  /** The version active again. */
  toVersion: PromptVersionId,
  reason: Schema.Literal("operator", "regression", "safety"),
  message: Schema.optional(Schema.String)
}) {}
