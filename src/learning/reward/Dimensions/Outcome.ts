/** outcome: how the session ended (docs/rewards.md § outcome). */
import type { EvaluatorConfig } from "../EvaluatorConfig.ts"
import type { EndFacts } from "../Trace.ts"
import type { DimensionScore } from "./Dimension.ts"

const failedKey = {
  model_error: "failedModelError",
  budget_exhausted: "failedBudgetExhausted",
  safety_block: "failedSafetyBlock",
  tool_error: "failedToolError",
  internal: "failedInternal"
} as const

/** @param answered whether the last user message got a non-empty, unblocked reply. */
export const outcomeScore = (
  end: EndFacts | undefined,
  answered: boolean,
  config: EvaluatorConfig
): DimensionScore | undefined => {
  if (end === undefined) return undefined
  const scores = config.outcome
  const answeredSignal = ["answered", answered ? 1 : 0] as const
  switch (end.kind) {
    case "completed": {
      const score = end.reason === "max_turns"
        ? scores.maxTurns
        : end.reason === "ended_by_user"
        ? scores.endedByUser
        : answered
        ? scores.completed
        : scores.completedWithoutReply
      return { score, signals: [answeredSignal] }
    }
    case "abandoned":
      return { score: answered ? scores.abandonedAnswered : scores.abandonedUnanswered, signals: [answeredSignal] }
    case "failed":
      return { score: scores[failedKey[end.reason]], signals: [answeredSignal] }
    case "cancelled":
      if (end.by === "shutdown") return undefined
      return {
        score: end.by === "user" ? scores.cancelledByUser : scores.cancelledByOperator,
        signals: [answeredSignal]
      }
  }
}
