import { assert, describe, it } from "@effect/vitest"
import { HttpServerRequest } from "@effect/platform"
import { Chunk, Effect, Stream } from "effect"
import { withBody } from "../../src/http/ChunkedBody.ts"

describe("a request with its body already read", () => {
  it.effect("serves exactly those bytes as text, JSON, an ArrayBuffer and a stream", () =>
    Effect.gen(function*() {
      const original = HttpServerRequest.fromWeb(new Request("http://127.0.0.1/v1/x", { method: "POST" }))
      // A small Buffer.concat result lives in Node's shared pool: its `.buffer` is larger than the body.
      const bytes = Buffer.concat([Buffer.from("{\"a\":"), Buffer.from("1}")])
      const request = withBody(original, bytes)
      assert.strictEqual(yield* request.text, "{\"a\":1}")
      assert.deepStrictEqual(yield* request.json, { a: 1 })
      const buffer = yield* request.arrayBuffer
      assert.strictEqual(buffer.byteLength, 7)
      assert.strictEqual(new TextDecoder().decode(buffer), "{\"a\":1}")
      const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(request.stream))
      assert.strictEqual(Buffer.concat(streamed.map((c) => Buffer.from(c))).toString(), "{\"a\":1}")
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url, original.url)
    }))
})
