/** What the reward commands run on: the actor (no background work), the reward tables and the rescorer. */
import { Layer } from "effect"
import { RewardEvaluator } from "../../actors/reward/RewardEvaluator.ts"
import { Rescorer } from "../../actors/reward/Rescorer.ts"
import { RewardsQuery } from "../../projections/RewardsQuery.ts"

export const RewardCommandsLive = Layer.mergeAll(
  RewardEvaluator.Default,
  Rescorer.Default.pipe(Layer.provideMerge(RewardsQuery.Default))
)
