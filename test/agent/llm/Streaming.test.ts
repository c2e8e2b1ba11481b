import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Stream } from "effect"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import type { StreamDelta } from "../../../src/agent/llm/Types.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { ask, collect, modelLayer as baseLayer, textOf } from "./support.ts"

const completedOf = (deltas: ReadonlyArray<StreamDelta>) => {
  const last = deltas[deltas.length - 1]
  if (last?._tag !== "Completed") throw new Error("the stream did not end with Completed")
  return last.response
}

// Every case runs with the stream read on the model thread (the default) and on the event loop.
describe.each(["true", "false"])("LanguageModel.stream (TAU_LLM_THREAD=%s)", (thread) => {
  const modelLayer = (lb: LoopbackModel, overrides: Record<string, string> = {}) =>
    baseLayer(lb, { TAU_LLM_THREAD: thread, ...overrides })

  it.scopedLive("text deltas in order, ending with the assembled response and usage", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("Hello streaming world", { chunks: ["Hel", "lo ", "streaming", " world"] }))
      const deltas = yield* Effect.flatMap(LanguageModel, (m) => collect(m.stream(ask("hi")))).pipe(Effect.provide(modelLayer(lb)))
      assert.deepStrictEqual(deltas.filter((d) => d._tag === "TextDelta").map((d) => d.text), ["Hel", "lo ", "streaming", " world"])
      const response = completedOf(deltas)
      assert.strictEqual(response.content, "Hello streaming world")
      assert.strictEqual(response.finishReason, "stop")
      assert.isAbove(response.usage.totalTokens, 0)
      assert.isDefined(response.firstTokenMs)
      const body = lb.chatRequests()[0]!.body
      assert.strictEqual(body.stream, true)
      assert.deepStrictEqual(body["stream_options"], { include_usage: true })
    }))

  it.scopedLive("tool call deltas are assembled into tool calls", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.toolCalls([
        { id: "call_1", name: "grep", arguments: { pattern: "TODO", path: "src" } },
        { id: "call_2", name: "read_file", arguments: { path: "a.ts" } }
      ], { content: "Let me look." }))
      const deltas = yield* Effect.flatMap(LanguageModel, (m) => collect(m.stream(ask("find todos")))).pipe(
        Effect.provide(modelLayer(lb))
      )
      const pieces = deltas.filter((d) => d._tag === "ToolCallDelta")
      assert.isAbove(pieces.length, 2)
      assert.deepStrictEqual(pieces.filter((p) => p.index === 0).map((p) => p.arguments).join(""), "{\"pattern\":\"TODO\",\"path\":\"src\"}")
      const response = completedOf(deltas)
      assert.strictEqual(response.finishReason, "tool_calls")
      assert.strictEqual(response.content, "Let me look.")
      assert.deepStrictEqual(response.toolCalls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
        ["call_1", "grep", { pattern: "TODO", path: "src" }],
        ["call_2", "read_file", { path: "a.ts" }]
      ])
    }))

  it.scopedLive("logprobs of a streamed answer are kept", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("a b c"))
      const deltas = yield* Effect.flatMap(LanguageModel, (m) => collect(m.stream(ask("x")))).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_LOGPROBS: "true" }))
      )
      assert.deepStrictEqual(completedOf(deltas).logprobs?.map((l) => l.token), ["a ", "b ", "c"])
    }))

  it.scopedLive("a stream dropped mid-way is retried without repeating delivered text", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const chunks = ["The ", "quick ", "brown ", "fox ", "jumps."]
      lb.enqueue(
        Reply.text(chunks.join(""), { chunks, cutAfterChunks: 3 }),
        Reply.text(chunks.join(""), { chunks: ["The quick", " brown fox", " jumps."] })
      )
      const deltas = yield* Effect.flatMap(LanguageModel, (m) => collect(m.stream(ask("x")))).pipe(
        Effect.provide(modelLayer(lb))
      )
      const texts = deltas.flatMap((d) => (d._tag === "TextDelta" ? [d.text] : []))
      assert.deepStrictEqual(texts, ["The ", "quick ", "brown ", "fox", " jumps."])
      assert.strictEqual(textOf(deltas), "The quick brown fox jumps.")
      const response = completedOf(deltas)
      assert.strictEqual(response.content, "The quick brown fox jumps.")
      assert.strictEqual(response.attempts, 2)
      assert.strictEqual(lb.chatRequests().length, 2)
    }))

  it.scopedLive("a retried stream of tool calls does not repeat delivered argument text", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const call = { id: "call_x", name: "write_file", arguments: { path: "notes.md", content: "hello" } }
      lb.enqueue(Reply.toolCalls([call], { cutAfterChunks: 2 }), Reply.toolCalls([{ ...call, id: "call_y" }]))
      const deltas = yield* Effect.flatMap(LanguageModel, (m) => collect(m.stream(ask("x")))).pipe(
        Effect.provide(modelLayer(lb))
      )
      const pieces = deltas.filter((d) => d._tag === "ToolCallDelta")
      assert.strictEqual(pieces.map((p) => p.arguments).join(""), JSON.stringify(call.arguments))
      assert.deepStrictEqual(pieces.flatMap((p) => (p.id === undefined ? [] : [p.id])), ["call_x"])
      const response = completedOf(deltas)
      // the consumer saw call_x; the response agrees with what it saw
      assert.deepStrictEqual(response.toolCalls.map((c) => [c.id, c.name, c.arguments]), [
        ["call_x", "write_file", JSON.stringify(call.arguments)]
      ])
    }))

  it.scopedLive("a stream failing before any chunk retries after 503, and never after 400", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.error(503), Reply.text("recovered"))
      const model = yield* Effect.provide(LanguageModel, modelLayer(lb))
      const deltas = yield* collect(model.stream(ask("x")))
      assert.strictEqual(textOf(deltas), "recovered")
      lb.enqueue(Reply.error(400))
      const exit = yield* Effect.exit(Stream.runDrain(model.stream(ask("x"))))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        assert.strictEqual(exit.cause.error._tag, "LlmError")
      } else assert.fail("expected a typed failure")
      assert.strictEqual(lb.chatRequests().length, 3)
    }))

  it.scopedLive("a stalled stream times out (idle timeout between chunks)", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("a b c d", { chunkDelayMs: 2_000 }))
      const exit = yield* Effect.flatMap(LanguageModel, (m) => Stream.runDrain(m.stream(ask("x")))).pipe(
        Effect.provide(modelLayer(lb, { TAU_LLM_TIMEOUT_MS: "300", TAU_LLM_MAX_RETRIES: "0" })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "LlmError" &&
        exit.cause.error.reason === "timeout")
    }))

  it.scopedLive("a consumer that stops early aborts the request", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      lb.enqueue(Reply.text("one two three four five six", { chunkDelayMs: 50 }))
      const model = yield* Effect.provide(LanguageModel, modelLayer(lb))
      const first = yield* Stream.runCollect(Stream.take(model.stream(ask("x")), 2))
      assert.strictEqual(first.length, 2)
      // the server is free for the next call right away
      const next = yield* model.complete(ask("again"))
      assert.strictEqual(next.content, "echo: again")
    }))
})
