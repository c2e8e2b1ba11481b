import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { FastCheck as fc } from "effect"
import type { RetrySettings } from "../../../src/agent/llm/Config.ts"
import { defaultRetry } from "../../../src/agent/llm/Config.ts"
import { isRetryableReason, reasonOfStatus } from "../../../src/agent/llm/Errors.ts"
import { nominalDelayMs, parseRetryAfter, retryDelayMs } from "../../../src/agent/llm/Retry.ts"

const settingsArb: fc.Arbitrary<RetrySettings> = fc.record({
  base: fc.integer({ min: 1, max: 2_000 }),
  capFactor: fc.integer({ min: 1, max: 64 }),
  jitter: fc.double({ min: 0, max: 0.99, noNaN: true })
}).map(({ base, capFactor, jitter }) => ({
  ...defaultRetry,
  baseDelay: Duration.millis(base),
  maxDelay: Duration.millis(base * capFactor),
  jitter
}))

const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 12, maxLength: 12 })

describe("retry backoff", () => {
  it("defaults: 200 ms doubling, 2 s cap, 3 retries, jitter on top", () => {
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((n) => nominalDelayMs(n, defaultRetry)), [200, 400, 800, 1600, 2000, 2000])
    assert.strictEqual(defaultRetry.maxRetries, 3)
    assert.strictEqual(retryDelayMs(0, defaultRetry, 0), 200)
    assert.strictEqual(retryDelayMs(0, defaultRetry, 0.999), 239)
  })

  it.prop("delays are non-decreasing until the cap, whatever the jitter draws", [settingsArb, randoms], ([settings, us]) => {
    const cap = Duration.toMillis(settings.maxDelay)
    const delays = us.map((u, n) => retryDelayMs(n, settings, u))
    for (let n = 0; n + 1 < delays.length; n++) {
      if (nominalDelayMs(n + 1, settings) < cap) assert.isAtMost(delays[n]!, delays[n + 1]!)
    }
  })

  it.prop("never above cap + jitter, never below the nominal delay", [settingsArb, randoms], ([settings, us]) => {
    const cap = Duration.toMillis(settings.maxDelay)
    us.forEach((u, n) => {
      const delay = retryDelayMs(n, settings, u)
      assert.isAtMost(delay, cap * (1 + settings.jitter))
      assert.isAtLeast(delay, nominalDelayMs(n, settings))
    })
  })

  it.prop(
    "never sooner than Retry-After",
    [settingsArb, fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 120_000 })],
    ([settings, n, u, retryAfter]) => {
      const delay = retryDelayMs(n, settings, u, retryAfter)
      assert.isAtLeast(delay, retryAfter)
      assert.isAtMost(delay, Math.max(retryAfter, Duration.toMillis(settings.maxDelay) * (1 + settings.jitter)))
    }
  )

  it("only 408/409/425/429/5xx (and network errors, timeouts) are retried", () => {
    const retried = [400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 502, 503, 504, 529].filter((s) =>
      isRetryableReason(reasonOfStatus(s))
    )
    assert.deepStrictEqual(retried, [408, 409, 425, 429, 500, 502, 503, 504, 529])
    assert.isTrue(isRetryableReason("network"))
    assert.isTrue(isRetryableReason("timeout"))
    assert.isFalse(isRetryableReason("invalid_response"))
  })
})

describe("parseRetryAfter", () => {
  const headers = (entries: Record<string, string>) => new Headers(entries)
  const now = Date.parse("2026-01-01T00:00:00Z")

  it("reads seconds, HTTP dates and retry-after-ms (which wins)", () => {
    assert.strictEqual(parseRetryAfter(headers({ "retry-after": "2" }), now), 2_000)
    assert.strictEqual(parseRetryAfter(headers({ "retry-after": "0.5" }), now), 500)
    assert.strictEqual(parseRetryAfter(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" }), now), 7_000)
    assert.strictEqual(parseRetryAfter(headers({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }), now), 0)
    assert.strictEqual(parseRetryAfter(headers({ "retry-after": "3", "retry-after-ms": "250" }), now), 250)
    assert.isUndefined(parseRetryAfter(headers({ "retry-after": "soon" }), now))
    assert.isUndefined(parseRetryAfter(headers({}), now))
    assert.isUndefined(parseRetryAfter(undefined, now))
  })
})
