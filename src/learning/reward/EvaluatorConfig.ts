/**
 * The versioned configuration of the reward evaluator: every weight, threshold, cap and lexicon phrase that
 * inference uses. A reward records `{ name, version, hash }` of the configuration that produced it, so a
 * rescoring can tell two configurations apart even when someone forgot to bump the version.
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import type { EvaluatorRef } from "../../events/catalogue/RewardEvents.ts"
import { Score, UnitInterval } from "../../domain/Quantities.ts"

const Weight = Schema.Number.pipe(Schema.finite(), Schema.nonNegative())
const Positive = Schema.Number.pipe(Schema.finite(), Schema.positive())
const Phrases = Schema.Array(Schema.String.pipe(Schema.minLength(1)))

export const DimensionWeights = Schema.Struct({
  outcome: Weight,
  tool_reliability: Weight,
  safety: Weight,
  efficiency: Weight,
  latency: Weight,
  implicit_feedback: Weight,
  /** Not a mean weight (explicit feedback blends, see `explicitFeedback.dominance`): its evidence for confidence. */
  explicit_feedback: Weight
})
export type DimensionWeights = typeof DimensionWeights.Type

export const OutcomeScores = Schema.Struct({
  completed: Score,
  /** Completed with final_answer but no non-empty reply was recorded. */
  completedWithoutReply: Score,
  endedByUser: Score,
  maxTurns: Score,
  abandonedAnswered: Score,
  abandonedUnanswered: Score,
  cancelledByUser: Score,
  cancelledByOperator: Score,
  failedModelError: Score,
  failedBudgetExhausted: Score,
  failedSafetyBlock: Score,
  failedToolError: Score,
  failedInternal: Score
})

export const ToolReliabilityConfig = Schema.Struct({
  /** Pseudo-calls of prior: the base score is shrunk by n / (n + priorCalls) so one good call is not 1.0. */
  priorCalls: Weight,
  /** A completed run_command with a non-zero exit code counts as this fraction of a failure. */
  nonZeroExitFailure: UnitInterval,
  retryPenalty: Weight,
  replanPenalty: Weight
})

export const SafetyConfig = Schema.Struct({
  warn: Weight,
  redact: Weight,
  block: Weight,
  inbound: Weight,
  tool_output: Weight,
  outbound: Weight,
  /** Any block caps the composite at this value (after explicit feedback). */
  blockCap: Score
})

export const RelativeConfig = Schema.Struct({
  /** Comparable sessions needed before the dimension has a signal. */
  minBaselineSamples: Schema.Int.pipe(Schema.positive()),
  /** The ratio to the median that scores ∓tanh(1) ≈ ∓0.76. */
  spread: Schema.Number.pipe(Schema.finite(), Schema.greaterThan(1))
})

export const EfficiencyConfig = Schema.Struct({
  ...RelativeConfig.fields,
  /** Share of the tokens score; the turns score gets the rest. */
  tokensShare: UnitInterval
})

export const ImplicitFeedbackConfig = Schema.Struct({
  /** Token-set Jaccard similarity at or above which the next message repeats the previous request. */
  repetitionThreshold: UnitInterval,
  /** A repetition needs at least this many content tokens in the new message. */
  repetitionMinTokens: Schema.Int.pipe(Schema.nonNegative()),
  /** A message with no cue and a similarity at or below this moves on to something new. */
  movingOnMaxSimilarity: UnitInterval,
  scores: Schema.Struct({
    repetition: Score,
    correction: Score,
    negation: Score,
    frustration: Score,
    thanks: Score,
    acceptance: Score,
    movingOn: Score
  }),
  lexicon: Schema.Struct({
    /** Phrases matched on word boundaries anywhere in the message (lower case, straight apostrophes). */
    correction: Phrases,
    frustration: Phrases,
    thanks: Phrases,
    acceptance: Phrases,
    /** Words that are a negation when they open the message. */
    negationOpeners: Phrases,
    /** Words ignored by the repetition similarity. */
    stopwords: Phrases
  })
})

export const ExplicitFeedbackConfig = Schema.Struct({
  /** A rating r moves the composite dominance·|r| of the way from the other dimensions' mean towards sign(r). */
  dominance: UnitInterval
})

export const ConfidenceConfig = Schema.Struct({
  /** Evidence (sum of present weights) at which coverage is one half. */
  halfEvidence: Positive
})

export class EvaluatorConfig extends Schema.Class<EvaluatorConfig>("EvaluatorConfig")({
  name: Schema.String.pipe(Schema.minLength(1)),
  version: Schema.String.pipe(Schema.minLength(1)),
  weights: DimensionWeights,
  outcome: OutcomeScores,
  toolReliability: ToolReliabilityConfig,
  safety: SafetyConfig,
  efficiency: EfficiencyConfig,
  latency: RelativeConfig,
  implicitFeedback: ImplicitFeedbackConfig,
  explicitFeedback: ExplicitFeedbackConfig,
  confidence: ConfidenceConfig
}) {}

/** JSON text (e.g. a `--evaluator file.json`) to a configuration. */
export const EvaluatorConfigFromJson = Schema.parseJson(EvaluatorConfig)

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(record).sort()) out[key] = canonical(record[key])
    return out
  }
  return value
}

/** Canonical JSON: object keys sorted at every depth, no whitespace. */
export const canonicalJson = (value: unknown): string => JSON.stringify(canonical(value))

const hashes = new WeakMap<EvaluatorConfig, string>()

/** sha256 (hex) of the canonical JSON of the encoded configuration; independent of key order. */
export const configHash = (config: EvaluatorConfig): string => {
  const cached = hashes.get(config)
  if (cached !== undefined) return cached
  const hash = createHash("sha256").update(canonicalJson(Schema.encodeSync(EvaluatorConfig)(config))).digest("hex")
  hashes.set(config, hash)
  return hash
}

export const evaluatorRef = (config: EvaluatorConfig): EvaluatorRef => ({
  name: config.name,
  version: config.version,
  hash: configHash(config)
})
