/**
 * Session scores (`reward-<sessionId>` streams), written by the reward evaluator actor with a deterministic
 * event id per (session, turn, evaluator version, revision); read by the reward tables, cortex and trainer.
 */
import { Schema } from "effect"
import { PromptName, PromptVersionId, SessionId } from "../../domain/Ids.ts"
import { Real, Score, Turn, UnitInterval } from "../../domain/Quantities.ts"

/** The versioned evaluator configuration (weights, thresholds) that produced a reward. */
export const EvaluatorRef = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  version: Schema.String.pipe(Schema.minLength(1)),
  /** Content hash of the configuration, so two configs with one version string cannot be confused. */
  hash: Schema.String.pipe(Schema.minLength(1))
}).annotations({ identifier: "EvaluatorRef" })
export type EvaluatorRef = typeof EvaluatorRef.Type

/** Well-known dimension names; the record is open so an evaluator version can add one. */
export const RewardDimension = Schema.Literal(
  "outcome",
  "tool_reliability",
  "safety",
  "efficiency",
  "latency",
  "implicit_feedback",
  "explicit_feedback"
)
export type RewardDimension = typeof RewardDimension.Type

/** One observation the evaluator used, e.g. { dimension: "tool_reliability", name: "failure_rate", value: 0.25 }. */
export const RewardSignal = Schema.Struct({
  dimension: Schema.String.pipe(Schema.minLength(1)),
  name: Schema.String.pipe(Schema.minLength(1)),
  value: Real
}).annotations({ identifier: "RewardSignal" })
export type RewardSignal = typeof RewardSignal.Type

export class RewardAssigned extends Schema.TaggedClass<RewardAssigned>()("RewardAssigned", {
  sessionId: SessionId,
  /** Absent for the session-level reward; set for a turn-level one. */
  turn: Schema.optional(Turn),
  evaluator: EvaluatorRef,
  /** 1 for the first score of this session by this evaluator; later feedback produces 2, 3, … */
  revision: Schema.Int.pipe(Schema.positive()),
  composite: Score,
  /** Scores of the dimensions the trace had a signal for; a missing key means no signal. */
  dimensions: Schema.Record({ key: Schema.String.pipe(Schema.minLength(1)), value: Score }),
  confidence: UnitInterval,
  signals: Schema.Array(RewardSignal),
  /** Copied from SessionStarted so reward tables group by prompt version without a join. */
  promptName: Schema.optional(PromptName),
  promptVersion: Schema.optional(PromptVersionId),
  /** Task category of the first user message (see docs/rewards.md). */
  category: Schema.optional(Schema.String)
}) {}
