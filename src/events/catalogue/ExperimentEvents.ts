/**
 * A/B tests of prompt versions (`experiment-<id>` streams), written by the trainer; sessions record their arm
 * in SessionStarted (experimentId + promptVersion). Adoption needs a significant improvement.
 */
import { Schema } from "effect"
import { ExperimentId, PromptName, PromptVersionId } from "../../domain/Ids.ts"
import { Count, Real, Score, UnitInterval } from "../../domain/Quantities.ts"

export const SignificanceTest = Schema.Literal("welch_t", "welch_z", "mann_whitney_u", "bootstrap")
export type SignificanceTest = typeof SignificanceTest.Type

export class ExperimentStarted extends Schema.TaggedClass<ExperimentStarted>()("ExperimentStarted", {
  experimentId: ExperimentId,
  promptName: PromptName,
  baseline: PromptVersionId,
  candidate: PromptVersionId,
  /** Share of new sessions assigned to the candidate. */
  candidateShare: UnitInterval,
  test: SignificanceTest,
  alpha: Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThan(1)),
  minSamplesPerArm: Schema.Int.pipe(Schema.positive()),
  maxSamplesPerArm: Schema.Int.pipe(Schema.positive())
}) {}

export const ArmSummary = Schema.Struct({
  promptVersion: PromptVersionId,
  samples: Count,
  meanReward: Score,
  stdDev: Schema.NonNegative.pipe(Schema.finite())
}).annotations({ identifier: "ArmSummary" })
export type ArmSummary = typeof ArmSummary.Type

export class ExperimentConcluded extends Schema.TaggedClass<ExperimentConcluded>()("ExperimentConcluded", {
  experimentId: ExperimentId,
  promptName: PromptName,
  baseline: ArmSummary,
  candidate: ArmSummary,
  test: SignificanceTest,
  pValue: UnitInterval,
  /** Standardised effect size (Cohen's d) of candidate minus baseline. */
  effectSize: Real,
  /** Candidate mean minus baseline mean, with its confidence interval at 1 - alpha. */
  meanDelta: Real,
  ciLow: Real,
  ciHigh: Real,
  decision: Schema.Literal("adopt", "reject", "inconclusive", "aborted"),
  reason: Schema.String
}) {}
