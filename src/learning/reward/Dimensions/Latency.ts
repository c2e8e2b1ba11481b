/** latency: the session's agent time relative to the median of comparable sessions (needs a baseline). */
import type { EvaluatorConfig } from "../EvaluatorConfig.ts"
import type { ComparableBaseline } from "../Summary.ts"
import { type DimensionScore, relativeScore } from "./Dimension.ts"

export const latencyScore = (
  latencyMs: number,
  modelRetries: number,
  baseline: ComparableBaseline | undefined,
  config: EvaluatorConfig
): DimensionScore | undefined => {
  const c = config.latency
  if (baseline === undefined || baseline.sampleSize < c.minBaselineSamples || latencyMs === 0) return undefined
  return {
    score: relativeScore(latencyMs, baseline.medianLatencyMs, c.spread),
    signals: [
      ["latency_ms", latencyMs],
      ["median_latency_ms", baseline.medianLatencyMs],
      ["model_retries", modelRetries],
      ["baseline_samples", baseline.sampleSize]
    ]
  }
}
