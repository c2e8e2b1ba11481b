/**
 * Chooses the model for each attempt of one call. Models are tried in order (primary, then fallbacks); a
 * model whose breaker is open is skipped. A retryable failure is retried on the same model after the backoff
 * delay until its retries run out, its breaker opens or the server asks for a longer wait than allowed; then
 * the next admitted model is tried at once. A non-retryable failure ends the call.
 */
import { Duration, Effect, Random } from "effect"
import type { CircuitBreaker } from "../CircuitBreaker.ts"
import type { RetrySettings } from "../Config.ts"
import { LlmError } from "../Errors.ts"
import { retryDelayMs } from "../Retry.ts"
import type { CallOptions } from "../Types.ts"

export interface Route {
  readonly model: string
  readonly index: number
  /** Retries already made on this model. */
  readonly retry: number
  /** 1-based attempt number within the call. */
  readonly attempt: number
}

export interface Router {
  readonly start: Effect.Effect<Route, LlmError>
  /** After a failed attempt: the route of the next attempt, or the error that ends the call. */
  readonly next: (route: Route, error: LlmError, latencyMs: number) => Effect.Effect<Route, LlmError>
}

export const makeRouter = (
  models: ReadonlyArray<string>,
  breaker: CircuitBreaker,
  retry: RetrySettings,
  options: CallOptions = {}
): Router => {
  const firstAdmitted = (from: number, attempt: number): Effect.Effect<Route | undefined> =>
    Effect.gen(function*() {
      for (let index = from; index < models.length; index++) {
        const model = models[index]!
        if (yield* breaker.acquire(model)) return { model, index, retry: 0, attempt }
        yield* Effect.logDebug("model skipped: circuit breaker open").pipe(Effect.annotateLogs({ model }))
      }
      return undefined
    })

  const allOpen = () => new LlmError({
    reason: "circuit_open",
    model: models[0] ?? "",
    message: `all models are temporarily unavailable (circuit breaker open): ${models.join(", ")}`
  })

  const report = (route: Route, error: LlmError, latencyMs: number, next?: Route, delayMs?: number) =>
    options.onAttemptFailed === undefined ? Effect.void : options.onAttemptFailed({
      model: route.model,
      attempt: route.attempt,
      error,
      retrying: next !== undefined,
      ...(next !== undefined ? { nextModel: next.model } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
      latencyMs
    })

  return {
    start: Effect.flatMap(firstAdmitted(0, 1), (route) => route === undefined ? Effect.fail(allOpen()) : Effect.succeed(route)),
    next: (route, error, latencyMs) =>
      Effect.gen(function*() {
        if (!error.retryable) {
          // The server answered: as far as the breaker is concerned the model is up.
          yield* breaker.onSuccess(route.model)
          yield* report(route, error, latencyMs)
          return yield* error
        }
        const opened = yield* breaker.onFailure(route.model)
        const retryAfter = error.retryAfterMs ?? 0
        let reported = false
        if (!opened && route.retry < retry.maxRetries && retryAfter <= Duration.toMillis(retry.maxRetryAfter)) {
          const delay = retryDelayMs(route.retry, retry, yield* Random.next, error.retryAfterMs)
          const same = { ...route, retry: route.retry + 1, attempt: route.attempt + 1 }
          yield* report(route, error, latencyMs, same, delay)
          reported = true
          yield* Effect.logWarning("model call failed; retrying").pipe(
            Effect.annotateLogs({ model: route.model, reason: error.reason, status: error.status ?? "none", delayMs: delay })
          )
          yield* Effect.sleep(Duration.millis(delay))
          // Another call may have opened the breaker meanwhile; then fall through to the fallbacks.
          if (yield* breaker.acquire(route.model)) return same
        }
        const fallback = yield* firstAdmitted(route.index + 1, route.attempt + 1)
        if (!reported) yield* report(route, error, latencyMs, fallback, fallback === undefined ? undefined : 0)
        if (fallback === undefined) return yield* error
        yield* Effect.logWarning("model call failed; falling back").pipe(
          Effect.annotateLogs({ from: route.model, to: fallback.model, reason: error.reason, status: error.status ?? "none" })
        )
        return fallback
      })
  }
}
