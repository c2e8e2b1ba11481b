/**
 * One circuit breaker per model. `failureThreshold` consecutive retryable failures open it for `cooldown`;
 * after that it is half-open: one caller gets a trial call while others are refused; the trial's success
 * closes it, its failure opens it again. Time comes from Clock, so TestClock drives it in tests.
 */
import { Data, Duration, Effect } from "effect"
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
  Effect.sync(() => {
    // Each transition is one synchronous step (no Effect step inside it, so no other fibre runs in between), and
    // the clock is read only where a deadline matters: a call on a closed breaker costs two Effect steps, not ten.
    const states = new Map<string, State>()
    const cooldownMs = Duration.toMillis(settings.cooldown)
    const get = (model: string) => states.get(model) ?? closed
    const atNow = <A>(f: (now: number) => A): Effect.Effect<A> =>
      Effect.clockWith((clock) => Effect.sync(() => f(clock.unsafeCurrentTimeMillis())))

    return {
      acquire: (model) =>
        Effect.suspend(() => {
          if (get(model)._tag === "Closed") return Effect.succeed(true)
          return atNow((now) => {
            const state = get(model)
            const [admitted, next] = State.$match(state, {
              Closed: () => [true, state] as const,
              Open: ({ until }) => now >= until ? [true, State.HalfOpen({ trialInFlight: true })] as const : [false, state] as const,
              HalfOpen: ({ trialInFlight }) =>
                trialInFlight ? [false, state] as const : [true, State.HalfOpen({ trialInFlight: true })] as const
            })
            states.set(model, next)
            return admitted
          })
        }),
      onSuccess: (model) =>
        Effect.sync(() => {
          states.delete(model)
        }),
      onFailure: (model) =>
        atNow((now) => {
          const state = get(model)
          const failures = state._tag === "Closed" ? state.failures + 1 : settings.failureThreshold
          const open = failures >= settings.failureThreshold
          states.set(model, open ? State.Open({ until: now + cooldownMs }) : State.Closed({ failures }))
          return open
        }),
      release: (model) =>
        Effect.sync(() => {
          const state = get(model)
          if (state._tag === "HalfOpen") states.set(model, State.HalfOpen({ trialInFlight: false }))
        }),
      status: (model) =>
        atNow((now): BreakerStatus => {
          const state = get(model)
          if (state._tag === "Closed") return "closed"
          if (state._tag === "Open" && now < state.until) return "open"
          return "half_open"
        })
    }
  })
