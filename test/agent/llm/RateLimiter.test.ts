import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, TestClock } from "effect"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import { makeRateLimiter } from "../../../src/agent/llm/RateLimiter.ts"
import { RateLimited } from "../../../src/agent/llm/Errors.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import { ask, modelLayer } from "./support.ts"

const settings = (requestsPerMinute: number, tokensPerMinute: number, maxWaitMs: number) => ({
  requestsPerMinute,
  tokensPerMinute,
  maxWait: Duration.millis(maxWaitMs)
})

/** Lets forked fibres run until they are all asleep on the TestClock. */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isFailure(exit) && exit.cause._tag === "Fail") return exit.cause.error
  throw new Error("expected a typed failure")
}

describe("RateLimiter (TestClock)", () => {
  it.effect("requests per minute: a full minute's burst, then a wait for the refill", () =>
    Effect.gen(function*() {
      const limiter = yield* makeRateLimiter(settings(2, 0, 60_000))
      yield* limiter.acquire(10)
      yield* limiter.acquire(10)
      const third = yield* Effect.fork(limiter.acquire(10))
      yield* settle
      assert.isNull(third.unsafePoll(), "waits for a token")
      yield* TestClock.adjust(Duration.millis(29_999))
      yield* settle
      assert.isNull(third.unsafePoll())
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(third)
    }))

  it.effect("fails with RateLimited carrying retryAfter when the wait would pass the bound", () =>
    Effect.gen(function*() {
      const limiter = yield* makeRateLimiter(settings(2, 0, 20_000))
      yield* limiter.acquire(1)
      yield* limiter.acquire(1)
      const error = failureOf(yield* Effect.exit(limiter.acquire(1)))
      assert.instanceOf(error, RateLimited)
      assert.strictEqual(error.limit, "requests")
      assert.strictEqual(error.retryAfterMs, 30_000)
      // a refused call reserved nothing: after 30 s one call goes through at once
      yield* TestClock.adjust(Duration.seconds(30))
      yield* limiter.acquire(1)
    }))

  it.effect("tokens per minute: the estimate is reserved and settled against actual usage", () =>
    Effect.gen(function*() {
      const limiter = yield* makeRateLimiter(settings(0, 6_000, 5_000))
      yield* limiter.acquire(5_000)
      // 1,000 left; 2,000 needs 1,000 more = 10 s of refill, beyond the 5 s bound
      const error = failureOf(yield* Effect.exit(limiter.acquire(2_000)))
      assert.strictEqual(error.limit, "tokens")
      assert.strictEqual(error.retryAfterMs, 10_000)
      // the first call used only 1,000 tokens: 4,000 are refunded, so 2,000 fit now
      yield* limiter.settle(5_000, 1_000)
      yield* limiter.acquire(2_000)
    }))

  it.effect("waiting callers queue: each reservation pushes the next one further out", () =>
    Effect.gen(function*() {
      const limiter = yield* makeRateLimiter(settings(60, 0, 1_500))
      for (let i = 0; i < 60; i++) yield* limiter.acquire(0)
      const a = yield* Effect.fork(limiter.acquire(0))
      yield* settle
      const b = yield* Effect.exit(limiter.acquire(0)) // a took the 1 s slot; b would need 2 s > 1.5 s
      assert.strictEqual(failureOf(b).retryAfterMs, 2_000)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(a)
    }))
})

describe("rate limiting in LanguageModel", () => {
  it.scoped("a call waits for the bucket (no request sent meanwhile), and one past the bound fails with RateLimited", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const model = yield* Effect.provide(
        LanguageModel,
        modelLayer(lb, { TAU_LLM_REQUESTS_PER_MINUTE: "2", TAU_LLM_RATE_LIMIT_MAX_WAIT_MS: "40000" })
      )
      lb.enqueue(Reply.text("1"), Reply.text("2"), Reply.text("3"))
      yield* model.complete(ask("a"))
      yield* model.complete(ask("b"))
      const third = yield* Effect.fork(model.complete(ask("c")))
      yield* settle
      assert.strictEqual(lb.chatRequests().length, 2, "the third call waits before sending")
      // a fourth call now would need a minute: past the 40 s bound
      const fourth = failureOf(yield* Effect.exit(model.complete(ask("d"))))
      assert.strictEqual(fourth._tag, "RateLimited")
      assert.strictEqual((fourth as RateLimited).retryAfterMs, 60_000)
      yield* TestClock.adjust(Duration.seconds(30))
      const response = yield* Fiber.join(third)
      assert.strictEqual(response.content, "3")
      assert.strictEqual(lb.chatRequests().length, 3)
    }))
})
