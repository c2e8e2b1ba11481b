/**
 * The evaluator configuration the reward actor scores live sessions with. Defaults to `tau-default@1`;
 * override with `Layer.succeed(LiveEvaluator, config)`.
 */
import { Context } from "effect"
import { defaultEvaluatorConfig } from "../../learning/reward/DefaultConfig.ts"
import type { EvaluatorConfig } from "../../learning/reward/EvaluatorConfig.ts"

export class LiveEvaluator extends Context.Reference<LiveEvaluator>()("tau/actors/reward/LiveEvaluator", {
  defaultValue: (): EvaluatorConfig => defaultEvaluatorConfig
}) {}

/** Configurations `tau rescore --evaluator name@version` can name. */
export const knownEvaluators: ReadonlyArray<EvaluatorConfig> = [defaultEvaluatorConfig]
