/**
 * The composite and the confidence from the present dimensions (docs/rewards.md § composite, § confidence).
 */
import type { RewardDimension } from "../../events/catalogue/RewardEvents.ts"
import { clip } from "./Dimensions/Dimension.ts"
import type { EvaluatorConfig } from "./EvaluatorConfig.ts"

export type DimensionScores = Partial<Record<RewardDimension, number>>

export interface CompositeResult {
  readonly composite: number
  readonly confidence: number
  readonly coverage: number
  readonly agreement: number
  readonly capped: boolean
}

const meanDimensions = ["outcome", "tool_reliability", "efficiency", "latency", "implicit_feedback"] as const

/**
 * 1. M = weighted mean of the present dimensions except explicit feedback.
 * 2. With an explicit rating E: C = M + dominance·|E|·(sign(E) − M) (C = E when nothing else is present; C = 0
 *    with no dimension at all). Safety only ever lowers the composite: C = min(C with safety in M, C without).
 * 3. Clip to [-1, 1]; with a safety block, C = min(C, blockCap).
 * Confidence = coverage · agreement, coverage = W / (W + halfEvidence) with W the summed weights of the present
 * dimensions (explicit included), agreement = 1 − the weighted standard deviation of their scores.
 */
export const combine = (scores: DimensionScores, blocked: boolean, config: EvaluatorConfig): CompositeResult => {
  const weights = config.weights
  let sum = 0
  let weight = 0
  for (const name of meanDimensions) {
    const score = scores[name]
    if (score !== undefined) {
      sum += weights[name] * score
      weight += weights[name]
    }
  }
  const explicit = scores.explicit_feedback
  /** Step 2 for a mean `m` (undefined: no dimension in it). */
  const blend = (m: number | undefined): number => {
    if (explicit === undefined) return m ?? 0
    if (m === undefined) return explicit
    return m + config.explicitFeedback.dominance * Math.abs(explicit) * (Math.sign(explicit) - m)
  }
  let composite = blend(weight > 0 ? sum / weight : undefined)
  // Safety (never positive) only lowers: the lower composite, with it or without. With a mean on both sides that is
  // the lower mean (the blend rises with M); with a rating alone it keeps a strong thumbs-down from being pulled up
  // towards the safety mean.
  const safety = scores.safety
  if (safety !== undefined && weights.safety > 0) {
    composite = Math.min(composite, blend((sum + weights.safety * safety) / (weight + weights.safety)))
  }
  composite = clip(composite)
  const capped = blocked && composite > config.safety.blockCap
  if (blocked) composite = Math.min(composite, config.safety.blockCap)

  let evidence = 0
  let weightedSum = 0
  for (const name of Object.keys(scores) as Array<RewardDimension>) {
    const score = scores[name]
    if (score === undefined) continue
    evidence += weights[name]
    weightedSum += weights[name] * score
  }
  let coverage = 0
  let agreement = 1
  if (evidence > 0) {
    const mu = weightedSum / evidence
    let variance = 0
    for (const name of Object.keys(scores) as Array<RewardDimension>) {
      const score = scores[name]
      if (score !== undefined) variance += weights[name] * (score - mu) ** 2
    }
    coverage = evidence / (evidence + config.confidence.halfEvidence)
    agreement = clip(1 - Math.sqrt(variance / evidence), 0, 1)
  }
  return { composite, confidence: clip(coverage * agreement, 0, 1), coverage, agreement, capped }
}
