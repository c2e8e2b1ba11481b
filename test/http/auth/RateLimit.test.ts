/**
 * Rate limits: the token bucket's two promises as properties over arbitrary arrival sequences (no window sees
 * more than burst + rps × window allowed requests; waiting `retryAfterMs` finds a token), and the RateLimits
 * service: configuration, per-key buckets on the TestClock, off at 0, idle buckets forgotten.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, FastCheck as fc, Layer, TestClock } from "effect"
import { RateLimits } from "../../../src/http/auth/RateLimit.ts"
import { take } from "../../../src/http/auth/TokenBucket.ts"
import type { Bucket } from "../../../src/http/auth/TokenBucket.ts"

const Limits = fc.record({
  rps: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0.1, max: 100, noNaN: true })),
  burst: fc.integer({ min: 1, max: 50 })
})
/** Gaps between arrivals in ms: many simultaneous, some fractional, some long pauses. */
const Gaps = fc.array(
  fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 20, noNaN: true }), fc.integer({ min: 0, max: 5000 })),
  { minLength: 1, maxLength: 400 }
)

const withConfig = (entries: Record<string, string>) =>
  RateLimits.Default.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))))

describe("TokenBucket", () => {
  it.prop("no window [a, b] holds more than burst + rps × (b − a) allowed requests", [Limits, Gaps], ([limits, gaps]) => {
    let bucket: Bucket | undefined
    let now = 0
    const allowedAt: Array<number> = []
    for (const gap of gaps) {
      now += gap
      const next = take(bucket, now, limits)
      bucket = next.bucket
      if (next.result._tag === "Allowed") allowedAt.push(now)
    }
    // The tightest windows start and end at allowed arrivals.
    for (let i = 0; i < allowedAt.length; i++) {
      for (let j = i; j < allowedAt.length; j++) {
        const bound = limits.burst + limits.rps * (allowedAt[j]! - allowedAt[i]!) / 1000
        if (j - i + 1 > bound + 1e-6) return false
      }
    }
    // A fresh bucket holds burst tokens: the first request always goes through.
    return allowedAt[0] === gaps[0]
  }, { fastCheck: { numRuns: 300 } })

  it.prop("waiting retryAfterMs after a refusal yields Allowed, and waiting 1 ms less (when > 1) does not", [Limits, Gaps], ([limits, gaps]) => {
    let bucket: Bucket | undefined
    let now = 0
    for (const gap of gaps) {
      now += gap
      const next = take(bucket, now, limits)
      bucket = next.bucket
      if (next.result._tag === "Limited") {
        const wait = next.result.retryAfterMs
        if (!(wait >= 1 && Number.isInteger(wait))) return false
        if (take(bucket, now + wait, limits).result._tag !== "Allowed") return false
        if (wait > 1 && take(bucket, now + wait - 1, limits).result._tag === "Allowed") return false
      }
    }
    return true
  }, { fastCheck: { numRuns: 300 } })

  it("a clock that goes backwards refills nothing", () => {
    const limits = { rps: 1, burst: 1 }
    const first = take(undefined, 10_000, limits)
    assert.strictEqual(first.result._tag, "Allowed")
    assert.strictEqual(take(first.bucket, 0, limits).result._tag, "Limited")
  })
})

describe("RateLimits", () => {
  it.effect("burst at once, then one per 1/rps; keys are independent; retryAfter is exact", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      assert.deepStrictEqual(limits.settings, { rps: 10, burst: 3 })
      for (let i = 0; i < 3; i++) assert.strictEqual((yield* limits.take("a"))._tag, "Allowed")
      const limited = yield* limits.take("a")
      assert.deepStrictEqual(limited, { _tag: "Limited", retryAfterMs: 100 })
      assert.strictEqual((yield* limits.take("b"))._tag, "Allowed")
      yield* TestClock.adjust("99 millis")
      assert.deepStrictEqual(yield* limits.take("a"), { _tag: "Limited", retryAfterMs: 1 })
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* limits.take("a"))._tag, "Allowed")
      assert.strictEqual((yield* limits.take("a"))._tag, "Limited")
    }).pipe(Effect.provide(withConfig({ TAU_RATE_LIMIT_RPS: "10", TAU_RATE_LIMIT_BURST: "3" }))))

  it.effect("defaults: 50 per second, burst 100; TAU_RATE_LIMIT_RPS=0 turns limiting off", () =>
    Effect.gen(function*() {
      const defaults = yield* Effect.provide(RateLimits, withConfig({}))
      assert.deepStrictEqual(defaults.settings, { rps: 50, burst: 100 })
      let allowed = 0
      for (let i = 0; i < 150; i++) if ((yield* defaults.take("k"))._tag === "Allowed") allowed++
      assert.strictEqual(allowed, 100)

      const off = yield* Effect.provide(RateLimits, withConfig({ TAU_RATE_LIMIT_RPS: "0" }))
      for (let i = 0; i < 10_000; i++) assert.strictEqual((yield* off.take("k"))._tag, "Allowed")
      assert.strictEqual(yield* off.size, 0)

      const derived = yield* Effect.provide(RateLimits, withConfig({ TAU_RATE_LIMIT_RPS: "0.2" }))
      assert.deepStrictEqual(derived.settings, { rps: 0.2, burst: 1 })
    }))

  it.effect("invalid settings fail at construction", () =>
    Effect.gen(function*() {
      for (const bad of [{ TAU_RATE_LIMIT_RPS: "-1" }, { TAU_RATE_LIMIT_RPS: "fast" }, { TAU_RATE_LIMIT_BURST: "0" }]) {
        assert.isTrue(Exit.isFailure(yield* Effect.exit(Effect.provide(RateLimits, withConfig(bad)))), JSON.stringify(bad))
      }
    }))

  it.effect("idle buckets are forgotten once full again", () =>
    Effect.gen(function*() {
      const limits = yield* RateLimits
      for (let i = 0; i < 3000; i++) yield* limits.take(`key-${i}`)
      assert.isAtLeast(yield* limits.size, 1000)
      // burst 2 at 1/s: full again after 2 s. The next sweep (within 1024 requests) drops them all.
      yield* TestClock.adjust("2 seconds")
      for (let i = 0; i < 1024; i++) yield* limits.take("busy")
      assert.isAtMost(yield* limits.size, 1)
    }).pipe(Effect.provide(withConfig({ TAU_RATE_LIMIT_RPS: "1", TAU_RATE_LIMIT_BURST: "2" }))))
})
