/** From an inference result to the `RewardAssigned` event the reward actor appends. */
import type { PromptName, PromptVersionId, SessionId } from "../../domain/Ids.ts"
import { RewardAssigned } from "../../events/catalogue/RewardEvents.ts"
import { type EvaluatorConfig, evaluatorRef } from "./EvaluatorConfig.ts"
import type { RewardResult } from "./Infer.ts"

export interface RewardEventInput {
  readonly sessionId: SessionId
  readonly result: RewardResult
  readonly config: EvaluatorConfig
  readonly revision: number
  readonly turn?: number | undefined
  readonly promptName?: PromptName | undefined
  readonly promptVersion?: PromptVersionId | undefined
  readonly category?: string | undefined
}

export const rewardAssigned = (input: RewardEventInput): RewardAssigned =>
  RewardAssigned.make({
    sessionId: input.sessionId,
    turn: input.turn,
    evaluator: evaluatorRef(input.config),
    revision: input.revision,
    composite: input.result.composite,
    dimensions: { ...input.result.dimensions },
    confidence: input.result.confidence,
    signals: input.result.signals,
    promptName: input.promptName,
    promptVersion: input.promptVersion,
    category: input.category
  })
