/**
 * Per-key rate limits for the gateway: one token bucket per key (TokenBucket.ts), in memory, configured by
 * TAU_RATE_LIMIT_RPS (default 50 requests per second; 0 turns limiting off) and TAU_RATE_LIMIT_BURST (default
 * 2 × rps). Buckets that have refilled completely are forgotten (sweeps every 1024 requests), and at most
 * `maxBuckets` are kept: beyond that the oldest are dropped, which only ever lets a key start again at full burst.
 */
import { Clock, Config, Effect, Option } from "effect"
import { allowed, isFull, take as takeFrom } from "./TokenBucket.ts"
import type { Bucket, BucketLimits, TakeResult } from "./TokenBucket.ts"

export type { TakeResult } from "./TokenBucket.ts"

export const maxBuckets = 100_000
const sweepEvery = 1024

export interface RateLimitSettings {
  /** Requests per second per key; 0 = off. */
  readonly rps: number
  readonly burst: number
}

export const RateLimitConfig: Config.Config<RateLimitSettings> = Config.all({
  rps: Config.number("TAU_RATE_LIMIT_RPS").pipe(
    Config.validate({ message: "must be a number >= 0", validation: (n) => Number.isFinite(n) && n >= 0 }),
    Config.withDefault(50)
  ),
  burst: Config.option(
    Config.number("TAU_RATE_LIMIT_BURST").pipe(
      Config.validate({ message: "must be a number >= 1", validation: (n) => Number.isFinite(n) && n >= 1 })
    )
  )
}).pipe(Config.map(({ burst, rps }) => ({ rps, burst: Option.getOrElse(burst, () => Math.max(1, 2 * rps)) })))

export class RateLimits extends Effect.Service<RateLimits>()("app/http/RateLimits", {
  effect: Effect.gen(function*() {
    const settings = yield* RateLimitConfig
    const limits: BucketLimits = settings
    const buckets = new Map<string, Bucket>()
    let sinceSweep = 0

    const sweep = (now: number) => {
      sinceSweep = 0
      for (const [key, bucket] of buckets) if (isFull(bucket, now, limits)) buckets.delete(key)
      for (const key of buckets.keys()) {
        if (buckets.size <= maxBuckets) break
        buckets.delete(key)
      }
    }

    const takeAt = (key: string, now: number): TakeResult => {
      if (++sinceSweep >= sweepEvery || buckets.size > maxBuckets) sweep(now)
      const next = takeFrom(buckets.get(key), now, limits)
      buckets.set(key, next.bucket)
      return next.result
    }

    /** One request by `key` (an API key id, or a client address when auth is off). */
    const take = (key: string): Effect.Effect<TakeResult> =>
      settings.rps === 0 ? Effect.succeed(allowed) : Effect.map(Clock.currentTimeMillis, (now) => takeAt(key, now))

    /** Buckets held now (for tests and metrics). */
    const size = Effect.sync(() => buckets.size)

    return { settings, take, size } as const
  })
}) {}
