import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { ToolName } from "../../../src/domain/Ids.ts"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import type { LlmError } from "../../../src/agent/llm/Errors.ts"
import type { AttemptFailure } from "../../../src/agent/llm/Types.ts"
import { ModelRequest } from "../../../src/agent/llm/Types.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { ask, modelLayer as baseLayer } from "./support.ts"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  return failure
}

// Every case runs with non-streamed calls on the model thread (the default) and on the event loop.
describe.each(["true", "false"])("LanguageModel (through the openai SDK against the loopback server; TAU_LLM_THREAD=%s)", (thread) => {
  const modelLayer = (lb: LoopbackModel, overrides: Record<string, string> = {}) =>
    baseLayer(lb, { TAU_LLM_THREAD: thread, ...overrides })

  it.scopedLive("plain completion: content, finish reason, usage, cost, the model that answered", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel({ models: ["gpt-4o-mini"] })
      lb.enqueue(Reply.text("Hello there.", { usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 } }))
      const response = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("hi"))).pipe(Effect.provide(modelLayer(lb)))
      assert.strictEqual(response.content, "Hello there.")
      assert.strictEqual(response.finishReason, "stop")
      assert.strictEqual(response.model, "gpt-4o-mini")
      assert.deepStrictEqual(response.usage, { promptTokens: 1000, completionTokens: 200, totalTokens: 1200 })
      // gpt-4o-mini: $0.15 in, $0.60 out per million
      assert.closeTo(response.costUsd, (1000 * 0.15 + 200 * 0.6) / 1e6, 1e-12)
      assert.strictEqual(response.attempts, 1)
      assert.isUndefined(response.logprobs)
      const [request] = lb.chatRequests()
      assert.strictEqual(request!.body.model, "gpt-4o-mini")
      assert.deepStrictEqual(request!.body.messages, [
        { role: "system", content: "You are terse." },
        { role: "user", content: "hi" }
      ])
      assert.strictEqual(request!.headers["authorization"], "Bearer loopback-key")
      assert.isUndefined(request!.body.logprobs)
    }))

  it.scopedLive("tools are offered as JSON schema and tool calls come back parsed", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.toolCalls([
        { id: "call_a", name: "read_file", arguments: { path: "README.md" } },
        { id: "call_b", name: "list_dir", arguments: "{\"path\":\".\"}" }
      ]))
      const tools = [{
        name: ToolName.make("read_file"),
        description: "Read a file",
        parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] }
      }]
      const response = yield* Effect.flatMap(LanguageModel, (m) =>
        m.complete(ask("read it", { tools, toolChoice: "auto", temperature: 0, maxTokens: 64 }))).pipe(
          Effect.provide(modelLayer(lb))
        )
      assert.strictEqual(response.finishReason, "tool_calls")
      assert.deepStrictEqual(response.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
        ["call_a", "read_file", { path: "README.md" }],
        ["call_b", "list_dir", { path: "." }]
      ])
      const body = lb.chatRequests()[0]!.body
      assert.deepStrictEqual(body.tools, [{ type: "function", function: tools[0] }])
      assert.strictEqual(body["tool_choice"], "auto")
      assert.strictEqual(body["temperature"], 0)
      // a local server (OPENAI_BASE_URL set) gets max_tokens, not max_completion_tokens
      assert.strictEqual(body["max_tokens"], 64)
    }))

  it.scopedLive("a tool list offered again and again reaches the model whole every time", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const listOf = (i: number) => [{
        name: ToolName.make(`tool_${i}`),
        description: `tool ${i}`,
        parameters: { type: "object", properties: { n: { type: "integer", minimum: i } } }
      }]
      const lists = Array.from({ length: 40 }, (_, i) => listOf(i))
      // Each list three times (inline, then defined on the model thread, then by reference), then the first lists
      // again after more lists than the thread keeps.
      const order = [...lists.flatMap((list) => [list, list, list]), lists[0]!, lists[1]!, lists[0]!]
      const messages = ask("x").messages
      yield* Effect.flatMap(LanguageModel, (m) =>
        Effect.forEach(order, (tools) => m.complete(new ModelRequest({ messages, tools }, { disableValidation: true })))).pipe(
          Effect.provide(modelLayer(lb))
        )
      assert.deepStrictEqual(
        lb.chatRequests().map((r) => r.body.tools),
        order.map((tools) => tools.map((tool) => ({ type: "function", function: tool })))
      )
    }))

  it.scopedLive("logprobs are requested when configured, and kept", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("one two three"))
      const response = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("count"))).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_LOGPROBS: "true", TAU_LLM_TOP_LOGPROBS: "2" }))
      )
      const body = lb.chatRequests()[0]!.body
      assert.strictEqual(body.logprobs, true)
      assert.strictEqual(body.top_logprobs, 2)
      assert.deepStrictEqual(response.logprobs?.map((l) => l.token), ["one ", "two ", "three"])
      for (const entry of response.logprobs ?? []) {
        assert.isAtMost(entry.logprob, 0)
        assert.strictEqual(entry.top.length, 2)
      }
    }))

  it.scopedLive("retries after 503 and succeeds; the SDK itself does not retry", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(503), Reply.error(500), Reply.text("finally"))
      const failures: Array<AttemptFailure> = []
      const response = yield* Effect.flatMap(LanguageModel, (m) =>
        m.complete(ask("x"), { onAttemptFailed: (f) => Effect.sync(() => failures.push(f)) })).pipe(
          Effect.provide(modelLayer(lb))
        )
      assert.strictEqual(response.content, "finally")
      assert.strictEqual(response.attempts, 3)
      assert.strictEqual(lb.chatRequests().length, 3)
      assert.deepStrictEqual(
        failures.map((f) => [f.attempt, f.error.status, f.retrying, f.nextModel]),
        [[1, 503, true, "loopback-model"], [2, 500, true, "loopback-model"]]
      )
      assert.isAtLeast(failures[1]!.delayMs!, 10)
    }))

  it.scopedLive("retries stop after TAU_LLM_MAX_RETRIES with the last error", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(502), Reply.error(502), Reply.error(504), Reply.text("too late"))
      const failures: Array<AttemptFailure> = []
      const exit = yield* Effect.flatMap(LanguageModel, (m) =>
        m.complete(ask("x"), { onAttemptFailed: (f) => Effect.sync(() => failures.push(f)) })).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_MAX_RETRIES: "2", TAU_LLM_BREAKER_FAILURES: "10" })),
        Effect.exit
      )
      const error = failureOf(exit) as LlmError
      assert.strictEqual(error._tag, "LlmError")
      assert.strictEqual(error.reason, "server_error")
      assert.strictEqual(error.status, 504)
      assert.deepStrictEqual(failures.map((f) => [f.attempt, f.retrying]), [[1, true], [2, true], [3, false]])
      assert.strictEqual(lb.chatRequests().length, 3)
    }))

  it.scopedLive("a half-open trial call that is interrupted releases the breaker: the next call is the new trial", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(503), Reply.text("never read", { delayMs: 3_000 }), Reply.text("ok"))
      yield* Effect.gen(function*() {
        const model = yield* LanguageModel
        const first = yield* Effect.exit(model.complete(ask("x")))
        assert.isTrue(Exit.isFailure(first))
        yield* Effect.sleep("150 millis")
        const trial = yield* Effect.fork(model.complete(ask("x")))
        while (lb.chatRequests().length < 2) yield* Effect.sleep("10 millis")
        yield* Fiber.interrupt(trial)
        const next = yield* model.complete(ask("x"))
        assert.strictEqual(next.content, "ok")
      }).pipe(Effect.provide(modelLayer(lb, {
        TAU_LLM_MAX_RETRIES: "0",
        TAU_LLM_BREAKER_FAILURES: "1",
        TAU_LLM_BREAKER_COOLDOWN_MS: "100"
      })))
    }))

  it.scopedLive("no retry after 400", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(400, { body: { error: { message: "bad tool schema", type: "invalid_request_error" } } }))
      const exit = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(
        Effect.provide(modelLayer(lb)),
        Effect.exit
      )
      const error = failureOf(exit) as LlmError
      assert.strictEqual(error.reason, "bad_request")
      assert.strictEqual(error.status, 400)
      assert.isFalse(error.retryable)
      assert.include(error.message, "bad tool schema")
      assert.strictEqual(lb.chatRequests().length, 1)
    }))

  it.scopedLive("429 honours Retry-After in seconds and retry-after-ms", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.rateLimited({ retryAfter: "1" }), Reply.rateLimited({ retryAfterMs: 300 }), Reply.text("ok"))
      const response = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(Effect.provide(modelLayer(lb)))
      assert.strictEqual(response.content, "ok")
      const [first, second, third] = lb.chatRequests().map((r) => r.receivedAt)
      assert.isAtLeast(second! - first!, 1000)
      assert.isAtLeast(third! - second!, 300)
      // the backoff alone (5-20 ms here) would have been much shorter
      assert.isBelow(third! - second!, 1000)
    }))

  it.scopedLive("a Retry-After beyond TAU_LLM_RETRY_MAX_WAIT_MS is not waited for", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.rateLimited({ retryAfter: "120" }))
      const exit = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_RETRY_MAX_WAIT_MS: "5000" })),
        Effect.exit
      )
      const error = failureOf(exit) as LlmError
      assert.strictEqual(error.reason, "rate_limited")
      assert.strictEqual(error.retryAfterMs, 120_000)
      assert.strictEqual(lb.chatRequests().length, 1)
    }))

  it.scopedLive("malformed JSON is an invalid_response, not retried", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.malformed())
      const exit = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(
        Effect.provide(modelLayer(lb)),
        Effect.exit
      )
      assert.strictEqual((failureOf(exit) as LlmError).reason, "invalid_response")
      assert.strictEqual(lb.chatRequests().length, 1)
    }))

  it.scopedLive("a dropped connection is a network error and is retried", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.drop(), Reply.text("after drop"))
      const response = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(Effect.provide(modelLayer(lb)))
      assert.strictEqual(response.content, "after drop")
      assert.strictEqual(response.attempts, 2)
    }))

  it.scopedLive("a slow response times out with a typed error, per attempt", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("slow", { delayMs: 5_000 }), Reply.text("slow", { delayMs: 5_000 }))
      const started = Date.now()
      const exit = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("x"))).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_TIMEOUT_MS: "200", TAU_LLM_MAX_RETRIES: "1" })),
        Effect.exit
      )
      const error = failureOf(exit) as LlmError
      assert.strictEqual(error.reason, "timeout")
      assert.isTrue(error.retryable)
      assert.strictEqual(lb.chatRequests().length, 2)
      assert.isBelow(Date.now() - started, 3_000)
    }))

  it.scopedLive("with nothing scripted the server echoes", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const response = yield* Effect.flatMap(LanguageModel, (m) => m.complete(ask("ping"))).pipe(Effect.provide(modelLayer(lb)))
      assert.strictEqual(response.content, "echo: ping")
    }))

  it.effect("without a model the layer builds and calls fail with ModelNotConfigured naming the variables", () =>
    Effect.gen(function*() {
      const model = yield* LanguageModel
      assert.deepStrictEqual(model.models, [])
      assert.isTrue(model.notConfigured._tag === "Some")
      const error = failureOf(yield* Effect.exit(model.complete(ask("x"))))
      assert.strictEqual(error._tag, "ModelNotConfigured")
      for (const variable of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "TAU_MODEL"]) assert.include(error.message, variable)
      const streamed = failureOf(yield* Effect.exit(Stream.runDrain(model.stream(ask("x")))))
      assert.strictEqual(streamed._tag, "ModelNotConfigured")
    }).pipe(
      Effect.provide(LanguageModel.Default.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map())))))
    ))
})
