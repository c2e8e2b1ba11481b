import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Exit, Redacted } from "effect"
import { LlmConfig } from "../../../src/agent/llm/Config.ts"
import { costOf, defaultPrices, priceOf } from "../../../src/agent/llm/Pricing.ts"

const load = (env: Record<string, string>) =>
  Effect.withConfigProvider(LlmConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("LlmConfig", () => {
  it.effect("nothing set: settings load with defaults, and the connection says what to set", () =>
    Effect.gen(function*() {
      const settings = yield* load({})
      assert.isTrue(Either.isLeft(settings.connection))
      if (Either.isLeft(settings.connection)) {
        const message = settings.connection.left.message
        for (const v of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "TAU_MODEL"]) assert.include(message, v)
      }
      assert.strictEqual(settings.retry.maxRetries, 3)
      assert.strictEqual(Duration.toMillis(settings.retry.baseDelay), 200)
      assert.strictEqual(Duration.toMillis(settings.retry.maxDelay), 2_000)
      assert.strictEqual(settings.breaker.failureThreshold, 3)
      assert.strictEqual(Duration.toMillis(settings.breaker.cooldown), 30_000)
      assert.strictEqual(Duration.toMillis(settings.timeout), 120_000)
      assert.strictEqual(settings.rateLimit.requestsPerMinute, 0)
      assert.isFalse(settings.logprobs)
    }))

  it.effect("TAU_MODEL alone is not enough: the message names the missing key or base URL", () =>
    Effect.gen(function*() {
      const settings = yield* load({ TAU_MODEL: "gpt-4.1" })
      assert.isTrue(Either.isLeft(settings.connection))
      if (Either.isLeft(settings.connection)) {
        assert.include(settings.connection.left.message, "TAU_MODEL=gpt-4.1 is set, but neither OPENAI_API_KEY nor OPENAI_BASE_URL is")
      }
    }))

  it.effect("an API key alone means OpenAI with the default model; fallbacks are trimmed and deduplicated", () =>
    Effect.gen(function*() {
      const settings = yield* load({ OPENAI_API_KEY: "sk-test", TAU_FALLBACK_MODELS: " gpt-4.1-mini, gpt-4o-mini ,gpt-4.1-mini,," })
      const conn = Either.getOrThrow(settings.connection)
      assert.strictEqual(conn.baseUrl, "https://api.openai.com/v1")
      assert.isTrue(conn.official)
      assert.strictEqual(conn.model, "gpt-4o-mini")
      assert.deepStrictEqual(conn.fallbackModels, ["gpt-4.1-mini"])
      assert.strictEqual(Redacted.value(conn.apiKey), "sk-test")
      assert.notInclude(String(conn.apiKey), "sk-test")
    }))

  it.effect("a base URL alone (local server) needs no key", () =>
    Effect.gen(function*() {
      const settings = yield* load({ OPENAI_BASE_URL: "http://127.0.0.1:8080/v1/", TAU_MODEL: "qwen2.5-coder" })
      const conn = Either.getOrThrow(settings.connection)
      assert.strictEqual(conn.baseUrl, "http://127.0.0.1:8080/v1")
      assert.isFalse(conn.official)
      assert.strictEqual(conn.model, "qwen2.5-coder")
    }))

  it.effect("TAU_MODEL_PRICES adds and overrides prices; malformed JSON is a config error", () =>
    Effect.gen(function*() {
      const settings = yield* load({
        TAU_MODEL_PRICES: JSON.stringify({ "qwen2.5-coder": { input: 0.1, output: 0.2 }, "gpt-4o": { input: 1, output: 2, cached: 0.5 } })
      })
      assert.deepStrictEqual(settings.prices["qwen2.5-coder"], { input: 0.1, output: 0.2 })
      assert.deepStrictEqual(settings.prices["gpt-4o"], { input: 1, output: 2, cached: 0.5 })
      assert.deepStrictEqual(settings.prices["gpt-4.1"], defaultPrices["gpt-4.1"])
      const bad = yield* Effect.exit(load({ TAU_MODEL_PRICES: "{\"x\": {\"input\": -1, \"output\": 1}}" }))
      assert.isTrue(Exit.isFailure(bad))
      const invalidNumber = yield* Effect.exit(load({ TAU_LLM_MAX_RETRIES: "-1" }))
      assert.isTrue(Exit.isFailure(invalidNumber))
    }))
})

describe("Pricing", () => {
  it("matches exact names, dated snapshots and provider prefixes; unknown models are free", () => {
    assert.deepStrictEqual(priceOf(defaultPrices, "gpt-4o-2024-08-06"), defaultPrices["gpt-4o"])
    assert.deepStrictEqual(priceOf(defaultPrices, "gpt-4o-mini-2024-07-18"), defaultPrices["gpt-4o-mini"])
    assert.deepStrictEqual(priceOf(defaultPrices, "openai/gpt-4.1-nano"), defaultPrices["gpt-4.1-nano"])
    assert.isUndefined(priceOf(defaultPrices, "llama3.1:8b"))
    assert.strictEqual(costOf(defaultPrices, "llama3.1:8b", { promptTokens: 1e6, completionTokens: 1e6, totalTokens: 2e6 }), 0)
  })

  it("bills cached prompt tokens at the cached price", () => {
    const usage = { promptTokens: 1_000_000, completionTokens: 100_000, totalTokens: 1_100_000, cachedTokens: 400_000 }
    // gpt-4.1: 0.6M x $2 + 0.4M x $0.5 + 0.1M x $8
    assert.closeTo(costOf(defaultPrices, "gpt-4.1", usage), 1.2 + 0.2 + 0.8, 1e-9)
  })
})
