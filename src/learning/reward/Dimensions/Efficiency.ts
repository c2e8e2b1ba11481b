/** efficiency: tokens and turns relative to the median of comparable sessions (needs a baseline). */
import type { EvaluatorConfig } from "../EvaluatorConfig.ts"
import type { ComparableBaseline } from "../Summary.ts"
import { type DimensionScore, relativeScore } from "./Dimension.ts"

export const efficiencyScore = (
  tokens: number,
  turns: number,
  baseline: ComparableBaseline | undefined,
  config: EvaluatorConfig
): DimensionScore | undefined => {
  const c = config.efficiency
  if (baseline === undefined || baseline.sampleSize < c.minBaselineSamples || turns === 0) return undefined
  const tokensScore = relativeScore(tokens, baseline.medianTokens, c.spread)
  const turnsScore = relativeScore(turns, baseline.medianTurns, c.spread)
  return {
    score: c.tokensShare * tokensScore + (1 - c.tokensShare) * turnsScore,
    signals: [
      ["tokens", tokens],
      ["turns", turns],
      ["median_tokens", baseline.medianTokens],
      ["median_turns", baseline.medianTurns],
      ["baseline_samples", baseline.sampleSize]
    ]
  }
}
