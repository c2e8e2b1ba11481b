import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { apiServer, BaseUrl, client } from "./support.ts"

const post = (url: string, body: string) =>
  Effect.promise(async () => {
    const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  })

describe("typed API: sessions", () => {
  layer(apiServer(() => new Map()), { timeout: 60_000, excludeTestServices: true })("without a model", (it) => {
    it.effect("starting or messaging a session is a 503 that says how to configure a model; reads still work", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const res = yield* post(`${base}/api/sessions`, JSON.stringify({ message: "hi" }))
        assert.strictEqual(res.status, 503, JSON.stringify(res.body))
        assert.strictEqual(res.body["_tag"], "ModelUnavailable")
        assert.match(String(res.body["message"]), /OPENAI_BASE_URL/)
        assert.match(String(res.body["message"]), /TAU_MODEL/)
        const streamed = yield* post(`${base}/api/sessions/stream`, JSON.stringify({ message: "hi" }))
        assert.strictEqual(streamed.status, 503)
        const error = yield* Effect.flip((yield* client).sessions.start({ payload: { message: "hi" } }))
        assert.strictEqual(error._tag, "ModelUnavailable")
        assert.deepStrictEqual((yield* (yield* client).sessions.list({ urlParams: {} })).sessions, [])
      }))
  })
})
