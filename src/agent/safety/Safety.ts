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
    // No span per inspection (a span and its stack capture cost more than the inspection of a short text);
    // what an inspection found that matters is recorded as SafetyViolationDetected events.
    const inspect = (stage: Stage, text: string): Effect.Effect<SafetyDecision> => Effect.sync(() => engine.inspect(stage, text))
    return { policy, inspect, redact: engine.redact, redactDeep: engine.redactDeep } as const
  })
}) {}
