/**
 * Outbound rate limit of the provider: two token buckets, requests per minute and tokens per minute, each
 * holding up to a minute's allowance and refilling continuously. A call reserves one request and its estimated
 * tokens, waiting for the refill if need be; when the wait would exceed `maxWait` it fails with RateLimited
 * instead. After the response, `settle` corrects the token bucket by the difference between actual usage and
 * the estimate. A limit of 0 is off. Time comes from Clock.
 */
import { Clock, Duration, Effect, Ref } from "effect"
import type { RateLimitSettings } from "./Config.ts"
import { RateLimited } from "./Errors.ts"

export interface RateLimiter {
  /** Some limit is set (both 0: off, and `acquire` always admits at once). */
  readonly enabled: boolean
  readonly acquire: (estimatedTokens: number) => Effect.Effect<void, RateLimited>
  /** Charges (or refunds) `actualTokens - estimatedTokens` to the tokens bucket. */
  readonly settle: (estimatedTokens: number, actualTokens: number) => Effect.Effect<void>
}

interface Buckets {
  readonly requests: number
  readonly tokens: number
  readonly at: number
}

const perMs = (perMinute: number) => perMinute / 60_000

export const makeRateLimiter = (settings: RateLimitSettings): Effect.Effect<RateLimiter> =>
  Effect.gen(function*() {
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = settings
    const maxWaitMs = Duration.toMillis(settings.maxWait)
    const start = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<Buckets>({ requests: rpm, tokens: tpm, at: start })

    const refill = (b: Buckets, now: number): Buckets => {
      const elapsed = Math.max(0, now - b.at)
      return {
        requests: Math.min(rpm, b.requests + elapsed * perMs(rpm)),
        tokens: Math.min(tpm, b.tokens + elapsed * perMs(tpm)),
        at: Math.max(now, b.at)
      }
    }

    const reserve = (requests: number, tokens: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (before): readonly [number | RateLimited, Buckets] => {
          const b = refill(before, now)
          const requestWait = rpm > 0 && b.requests < requests ? (requests - b.requests) / perMs(rpm) : 0
          const tokenWait = tpm > 0 && b.tokens < tokens ? (tokens - b.tokens) / perMs(tpm) : 0
          const wait = Math.max(requestWait, tokenWait)
          if (wait > maxWaitMs) {
            return [new RateLimited({ limit: requestWait >= tokenWait ? "requests" : "tokens", retryAfterMs: Math.ceil(wait) }), b]
          }
          return [wait, { ...b, requests: b.requests - (rpm > 0 ? requests : 0), tokens: b.tokens - (tpm > 0 ? tokens : 0) }]
        }))

    const refund = (requests: number, tokens: number) =>
      Ref.update(state, (b) => ({
        ...b,
        requests: Math.min(rpm, b.requests + (rpm > 0 ? requests : 0)),
        tokens: Math.min(tpm, b.tokens + (tpm > 0 ? tokens : 0))
      }))

    const enabled = rpm > 0 || tpm > 0
    return {
      enabled,
      acquire: (estimatedTokens) =>
        !enabled ? Effect.void : Effect.flatMap(reserve(1, estimatedTokens), (wait) =>
          typeof wait === "number"
            ? wait > 0
              ? Effect.sleep(Duration.millis(Math.ceil(wait))).pipe(Effect.onInterrupt(() => refund(1, estimatedTokens)))
              : Effect.void
            : Effect.fail(wait)),
      settle: (estimatedTokens, actualTokens) =>
        tpm === 0 ? Effect.void : Ref.update(state, (b) => ({
          ...b,
          tokens: Math.min(tpm, b.tokens - (actualTokens - estimatedTokens))
        }))
    }
  })
