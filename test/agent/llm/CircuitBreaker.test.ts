import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, TestClock } from "effect"
import { makeCircuitBreaker } from "../../../src/agent/llm/CircuitBreaker.ts"
import { defaultBreaker } from "../../../src/agent/llm/Config.ts"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import type { AttemptFailure } from "../../../src/agent/llm/Types.ts"
import { ask, collect, modelLayer } from "./support.ts"

describe("CircuitBreaker (TestClock, default settings)", () => {
  it.effect("opens after 3 consecutive failures for 30 s, then admits one trial call", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker(defaultBreaker)
      assert.isFalse(yield* breaker.onFailure("m"))
      assert.isFalse(yield* breaker.onFailure("m"))
      assert.isTrue(yield* breaker.onFailure("m"))
      assert.strictEqual(yield* breaker.status("m"), "open")
      assert.isFalse(yield* breaker.acquire("m"))
      assert.isTrue(yield* breaker.acquire("other"), "breakers are per model")
      yield* TestClock.adjust(Duration.millis(29_999))
      assert.isFalse(yield* breaker.acquire("m"))
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual(yield* breaker.status("m"), "half_open")
      assert.isTrue(yield* breaker.acquire("m"), "the trial call")
      assert.isFalse(yield* breaker.acquire("m"), "only one trial at a time")
      yield* breaker.onSuccess("m")
      assert.strictEqual(yield* breaker.status("m"), "closed")
      assert.isTrue(yield* breaker.acquire("m"))
    }))

  it.effect("a failed trial reopens it for another full cooldown; a released trial lets the next caller try", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker(defaultBreaker)
      for (let i = 0; i < 3; i++) yield* breaker.onFailure("m")
      yield* TestClock.adjust(Duration.seconds(30))
      assert.isTrue(yield* breaker.acquire("m"))
      assert.isTrue(yield* breaker.onFailure("m"))
      yield* TestClock.adjust(Duration.seconds(29))
      assert.isFalse(yield* breaker.acquire("m"))
      yield* TestClock.adjust(Duration.seconds(1))
      assert.isTrue(yield* breaker.acquire("m"))
      yield* breaker.release("m")
      assert.isTrue(yield* breaker.acquire("m"))
    }))

  it.effect("a success in between resets the count of consecutive failures", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker(defaultBreaker)
      yield* breaker.onFailure("m")
      yield* breaker.onFailure("m")
      yield* breaker.onSuccess("m")
      yield* breaker.onFailure("m")
      yield* breaker.onFailure("m")
      assert.strictEqual(yield* breaker.status("m"), "closed")
    }))
})

describe("breaker and fallback models (live, short cooldown)", () => {
  it.scopedLive("3 failures open the primary's breaker, the fallback answers, and after the cooldown a trial goes to the primary", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel({ models: ["primary", "backup"] })
      const model = yield* Effect.provide(
        LanguageModel,
        modelLayer(lb, { TAU_FALLBACK_MODELS: "backup", TAU_LLM_BREAKER_COOLDOWN_MS: "400" })
      )
      lb.enqueue(
        Reply.error(503, { model: "primary" }),
        Reply.error(503, { model: "primary" }),
        Reply.error(503, { model: "primary" }),
        Reply.text("from backup", { model: "backup" })
      )
      const first = yield* model.complete(ask("x"))
      assert.strictEqual(first.content, "from backup")
      assert.strictEqual(first.model, "backup")
      assert.deepStrictEqual([...first.skippedModels], ["primary"] as Array<string>)
      assert.strictEqual(first.attempts, 4)
      assert.deepStrictEqual(lb.chatRequests().map((r) => r.body.model), ["primary", "primary", "primary", "backup"])
      assert.strictEqual(yield* model.breakerStatus("primary"), "open")

      // while open, calls go straight to the fallback
      const second = yield* model.complete(ask("y"))
      assert.strictEqual(second.model, "backup")
      assert.strictEqual(second.attempts, 1)
      assert.strictEqual(lb.chatRequests()[4]!.body.model, "backup")

      yield* Effect.sleep(Duration.millis(450))
      assert.strictEqual(yield* model.breakerStatus("primary"), "half_open")
      const third = yield* model.complete(ask("z"))
      assert.strictEqual(third.model, "primary")
      assert.strictEqual(yield* model.breakerStatus("primary"), "closed")
    }))

  it.scopedLive("streams fall back too, and a non-retryable error does not", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel({ models: ["primary", "backup"] })
      const model = yield* Effect.provide(
        LanguageModel,
        modelLayer(lb, { TAU_FALLBACK_MODELS: "backup", TAU_LLM_MAX_RETRIES: "0" })
      )
      lb.enqueue(Reply.error(500, { model: "primary" }), Reply.text("streamed backup", { model: "backup" }))
      const failures: Array<AttemptFailure> = []
      const deltas = yield* collect(model.stream(ask("x"), { onAttemptFailed: (f) => Effect.sync(() => failures.push(f)) }))
      assert.deepStrictEqual(failures.map((f) => [f.model, f.attempt, f.retrying, f.nextModel]), [["primary", 1, true, "backup"]])
      const last = deltas[deltas.length - 1]
      assert.isTrue(last?._tag === "Completed" && last.response.model === "backup")

      lb.enqueue(Reply.error(401, { model: "primary" }))
      const exit = yield* Effect.exit(model.complete(ask("y")))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(lb.chatRequests().slice(2).map((r) => r.body.model), ["primary"])
    }))

  it.scopedLive("when every model's breaker is open the call fails with circuit_open", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const model = yield* Effect.provide(
        LanguageModel,
        modelLayer(lb, { TAU_LLM_BREAKER_FAILURES: "1", TAU_LLM_MAX_RETRIES: "0" })
      )
      lb.enqueue(Reply.error(503))
      yield* Effect.exit(model.complete(ask("x")))
      const exit = yield* Effect.exit(model.complete(ask("x")))
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "LlmError" &&
        exit.cause.error.reason === "circuit_open")
      assert.strictEqual(lb.chatRequests().length, 1)
    }))
})
