/**
 * The Safety service: inspects text at each stage of the agent loop under the configured policy (floor applied),
 * and redacts secrets from anything headed for the event log.
 *
 * `redact` and `redactDeep` are plain functions: they are pure and total, and the session actor calls them while
 * building events inside its own Effects.
 */
import { Effect } from "effect"
import type { SafetyDecision } from "./Decision.ts"
import { makeSafetyEngine } from "./Engine.ts"
import { SafetyPolicyConfig, type Stage } from "./Policy.ts"

export class Safety extends Effect.Service<Safety>()("app/Agent/Safety", {
  effect: Effect.gen(function*() {
    const { adjustments, policy } = yield* SafetyPolicyConfig
    if (adjustments.length > 0) {
      yield* Effect.logWarning("safety configuration is below the policy floor; the floor applies").pipe(
        Effect.annotateLogs({ service: "Safety", adjustments })
      )
    }
    const engine = makeSafetyEngine(policy)
    const inspect = Effect.fn("Safety.inspect")(function*(stage: Stage, text: string) {
      const decision: SafetyDecision = engine.inspect(stage, text)
      yield* Effect.annotateCurrentSpan({
        "safety.stage": stage,
        "safety.action": decision.action,
        "safety.rules": decision.rules.join(","),
        "safety.matches": decision.matches
      })
      return decision
    })
    return { policy, inspect, redact: engine.redact, redactDeep: engine.redactDeep } as const
  })
}) {}
