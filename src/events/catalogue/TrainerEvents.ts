/**
 * The trainer's own stream (`trainer`): policy statistics computed from rollouts, pause/resume, curriculum.
 * Prompt and experiment decisions go to their own streams (PromptEvents, ExperimentEvents).
 */
import { Schema } from "effect"
import { PolicyUpdateId, Position, PromptName, PromptVersionId, SessionId } from "../../domain/Ids.ts"
import { Count, Real, Score, UnitInterval } from "../../domain/Quantities.ts"

export const PpoStatistics = Schema.Struct({
  policyLoss: Real,
  valueLoss: Real,
  entropy: Real,
  approxKl: Real,
  clipFraction: UnitInterval,
  totalLoss: Real,
  earlyStopped: Schema.Boolean
}).annotations({ identifier: "PpoStatistics" })
export type PpoStatistics = typeof PpoStatistics.Type

export class PolicyUpdateComputed extends Schema.TaggedClass<PolicyUpdateComputed>()("PolicyUpdateComputed", {
  updateId: PolicyUpdateId,
  promptName: PromptName,
  /** The prompt version whose rollouts were used. */
  promptVersion: PromptVersionId,
  /** Sessions (rollouts) in this update, and the log range their rewards came from. */
  sessionIds: Schema.Array(SessionId),
  fromPosition: Position,
  toPosition: Position,
  samples: Count,
  meanReward: Score,
  meanAdvantage: Real,
  gamma: UnitInterval,
  lambda: UnitInterval,
  ppo: PpoStatistics
}) {}

export const TrainingActor = Schema.Literal("operator", "failure_streak", "safety_regression", "budget")
export type TrainingActor = typeof TrainingActor.Type

export class TrainingPaused extends Schema.TaggedClass<TrainingPaused>()("TrainingPaused", {
  by: TrainingActor,
  reason: Schema.String
}) {}

export class TrainingResumed extends Schema.TaggedClass<TrainingResumed>()("TrainingResumed", {
  by: Schema.Literal("operator", "automatic"),
  reason: Schema.optional(Schema.String)
}) {}

export const CategoryWeight = Schema.Struct({
  category: Schema.String.pipe(Schema.minLength(1)),
  weight: UnitInterval,
  samples: Count,
  meanReward: Schema.optional(Score)
}).annotations({ identifier: "CategoryWeight" })
export type CategoryWeight = typeof CategoryWeight.Type

/** Sampling weights per task category for the next prompt-optimisation round (weakest categories first). */
export class CurriculumUpdated extends Schema.TaggedClass<CurriculumUpdated>()("CurriculumUpdated", {
  categories: Schema.Array(CategoryWeight),
  focus: Schema.Array(Schema.String)
}) {}
