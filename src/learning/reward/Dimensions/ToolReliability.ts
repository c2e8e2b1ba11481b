/** tool_reliability: failure rate shrunk by the number of calls, minus retries and replan hints. */
import type { EvaluatorConfig } from "../EvaluatorConfig.ts"
import type { ToolTally } from "../Trace.ts"
import { clip, type DimensionScore } from "./Dimension.ts"

export const toolReliabilityScore = (tools: ToolTally, config: EvaluatorConfig): DimensionScore | undefined => {
  if (tools.calls === 0) return undefined
  const c = config.toolReliability
  const failures = Math.min(tools.calls, tools.failures + c.nonZeroExitFailure * tools.nonZeroExits)
  const failureRate = failures / tools.calls
  const base = (1 - 2 * failureRate) * tools.calls / (tools.calls + c.priorCalls)
  const score = clip(base - c.retryPenalty * tools.retries - c.replanPenalty * tools.replans)
  return {
    score,
    signals: [
      ["calls", tools.calls],
      ["failures", tools.failures],
      ["non_zero_exits", tools.nonZeroExits],
      ["failure_rate", failureRate],
      ["retries", tools.retries],
      ["replan_hints", tools.replans]
    ]
  }
}
