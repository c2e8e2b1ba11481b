/**
 * Non-streamed model calls on the worker thread: a failure crosses the thread and is classified exactly as it
 * would be on the event loop, and interrupting a call aborts its HTTP request on the thread.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { ConfigProvider, Deferred, Duration, Effect, Fiber, Layer, Option, Stream } from "effect"
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import { receivedFailure, sendFailure } from "../../../src/agent/llm/internal/ModelThreadProtocol.ts"
import { toLlmError } from "../../../src/agent/llm/internal/Wire.ts"
import { ask } from "./support.ts"

const classified = (cause: unknown) => {
  const { message, reason, retryAfterMs, status } = toLlmError("m", cause, 1_700_000_000_000)
  return { message, reason, retryAfterMs, status }
}

const apiErrors = fc.record({
  status: fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 418),
  body: fc.option(fc.record({ message: fc.string(), type: fc.string(), code: fc.option(fc.string(), { nil: null }) }), { nil: undefined }),
  rawMessage: fc.string(),
  retryAfter: fc.option(fc.oneof(fc.nat(120).map(String), fc.constant("Wed, 15 Nov 2023 22:13:40 GMT")), { nil: undefined }),
  retryAfterMs: fc.option(fc.nat(5_000).map(String), { nil: undefined })
}).map(({ body, rawMessage, retryAfter, retryAfterMs, status }) => {
  const headers = new Headers({ "content-type": "application/json", "x-request-id": "req_1" })
  if (retryAfter !== undefined) headers.set("retry-after", retryAfter)
  if (retryAfterMs !== undefined) headers.set("retry-after-ms", retryAfterMs)
  return APIError.generate(status, body === undefined ? undefined : { error: body }, rawMessage, headers)
})

const otherFailures = fc.oneof(
  fc.string().map((message) => new APIConnectionTimeoutError({ message })),
  fc.string().map((message) => new APIConnectionError({ message })),
  fc.string().map((message) => new SyntaxError(message)),
  fc.string().map((message) => new TypeError(message)),
  fc.string().map((message) => new Error(message)),
  fc.string().map((message) => new APIError(undefined, { message }, message, undefined))
)

/**
 * A model server that never finishes an answer (a streamed one sends one chunk first), noting when a request
 * arrives and when its connection closes; and the model service over it, on the thread.
 */
const holdingServer = (streamed: boolean) =>
  Effect.gen(function*() {
    const arrived = yield* Deferred.make<void>()
    const closed = yield* Deferred.make<void>()
    const server = createServer((req, res) => {
      Deferred.unsafeDone(arrived, Effect.void)
      req.socket.once("close", () => Deferred.unsafeDone(closed, Effect.void))
      if (!streamed) return
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(`data: ${JSON.stringify({
        id: "c1",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta: { role: "assistant", content: "hi" }, finish_reason: null }]
      })}\n\n`)
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    const config = ConfigProvider.fromMap(new Map([
      ["OPENAI_BASE_URL", `http://127.0.0.1:${port}/v1`],
      ["OPENAI_API_KEY", "test"],
      ["TAU_MODEL", "m"],
      ["TAU_LLM_THREAD", "true"]
    ]))
    const model = yield* Layer.build(LanguageModel.Default.pipe(Layer.provide(Layer.setConfigProvider(config))))
    return { arrived, closed, model }
  })

describe("the model thread", () => {
  it("a failure sent across the thread (structured clone) is classified as the original is", () =>
    fc.assert(
      fc.property(fc.oneof(apiErrors, otherFailures), (cause) => {
        const across = receivedFailure(structuredClone(sendFailure(cause)))
        assert.deepStrictEqual(classified(across), classified(cause))
      }),
      { numRuns: 300 }
    ))

  it.scopedLive("interrupting a call aborts its request on the thread", () =>
    Effect.gen(function*() {
      const server = yield* holdingServer(false)
      const call = yield* Effect.fork(Effect.flatMap(LanguageModel, (m) => m.complete(ask("wait"))).pipe(Effect.provide(server.model)))
      yield* Deferred.await(server.arrived).pipe(Effect.timeout(Duration.seconds(10)))
      yield* Fiber.interrupt(call)
      yield* Deferred.await(server.closed).pipe(Effect.timeout(Duration.seconds(5)))
    }))

  it.scopedLive("a consumer that stops reading a stream aborts its request on the thread", () =>
    Effect.gen(function*() {
      const server = yield* holdingServer(true)
      const first = yield* Effect.flatMap(LanguageModel, (m) => Stream.runHead(m.stream(ask("wait")))).pipe(Effect.provide(server.model))
      assert.deepStrictEqual(first.pipe(Option.map((delta) => delta._tag)), Option.some("TextDelta"))
      yield* Deferred.await(server.closed).pipe(Effect.timeout(Duration.seconds(5)))
    }))
})
