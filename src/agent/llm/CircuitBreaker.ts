/**
 * One circuit breaker per model. `failureThreshold` consecutive retryable failures open it for `cooldown`;
 * after that it is half-open: one caller gets a trial call while others are refused; the trial's success
 * closes it, its failure opens it again. Time comes from Clock, so TestClock drives it in tests.
 */
import { Clock, Data, Duration, Effect, HashMap, Option, Ref } from "effect"
import type { BreakerSettings } from "./Config.ts"

type State = Data.TaggedEnum<{
  Closed: { readonly failures: number }
  Open: { readonly until: number }
  HalfOpen: { readonly trialInFlight: boolean }
}>
const State = Data.taggedEnum<State>()

export type BreakerStatus = "closed" | "open" | "half_open"

export interface CircuitBreaker {
  /** Whether a call to `model` may go ahead now; a half-open breaker admits one trial call. */
  readonly acquire: (model: string) => Effect.Effect<boolean>
  readonly onSuccess: (model: string) => Effect.Effect<void>
  /** Records a retryable failure; true when the breaker is open afterwards. */
  readonly onFailure: (model: string) => Effect.Effect<boolean>
  /** Gives back an unfinished trial (the call was interrupted), so another caller may try. */
  readonly release: (model: string) => Effect.Effect<void>
  readonly status: (model: string) => Effect.Effect<BreakerStatus>
}

const closed = State.Closed({ failures: 0 })

export const makeCircuitBreaker = (settings: BreakerSettings): Effect.Effect<CircuitBreaker> =>
  Effect.gen(function*() {
    const states = yield* Ref.make(HashMap.empty<string, State>())
    const cooldownMs = Duration.toMillis(settings.cooldown)
    const get = (map: HashMap.HashMap<string, State>, model: string) =>
      Option.getOrElse(HashMap.get(map, model), () => closed)

    const update = <A>(model: string, f: (state: State, now: number) => readonly [A, State]) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(states, (map) => {
          const [result, next] = f(get(map, model), now)
          return [result, HashMap.set(map, model, next)] as const
        }))

    return {
      acquire: (model) =>
        update(model, (state, now) =>
          State.$match(state, {
            Closed: () => [true, state] as const,
            Open: ({ until }) => now >= until ? [true, State.HalfOpen({ trialInFlight: true })] as const : [false, state] as const,
            HalfOpen: ({ trialInFlight }) =>
              trialInFlight ? [false, state] as const : [true, State.HalfOpen({ trialInFlight: true })] as const
          })),
      onSuccess: (model) => update(model, () => [undefined, closed] as const),
      onFailure: (model) =>
        update(model, (state, now) => {
          const failures = state._tag === "Closed" ? state.failures + 1 : settings.failureThreshold
          return failures >= settings.failureThreshold
            ? [true, State.Open({ until: now + cooldownMs })] as const
            : [false, State.Closed({ failures })] as const
        }),
      release: (model) =>
        update(model, (state) =>
          [undefined, state._tag === "HalfOpen" ? State.HalfOpen({ trialInFlight: false }) : state] as const),
      status: (model) =>
        Effect.map(
          Effect.zip(Clock.currentTimeMillis, Ref.get(states)),
          ([now, map]): BreakerStatus => {
            const state = get(map, model)
            if (state._tag === "Closed") return "closed"
            if (state._tag === "Open" && now < state.until) return "open"
            return "half_open"
          }
        )
    }
  })
