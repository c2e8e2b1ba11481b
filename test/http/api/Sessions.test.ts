import { assert, describe, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { EventLog } from "../../../src/events/EventLog.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { Loopback, Reply } from "../../support/LoopbackModel.ts"
import { apiServer, BaseUrl, client, readSse } from "./support.ts"

const post = (url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  Effect.promise(async () => {
    const res = await fetch(url, { method: "POST", body, headers })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  })

const get = (url: string) =>
  Effect.promise(async () => {
    const res = await fetch(url)
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  })

/** The distinct paths of a decode error's issues (a union reports one issue per member). */
const issuePaths = (body: Record<string, unknown>) => [
  ...new Set((body["issues"] as ReadonlyArray<{ path: ReadonlyArray<unknown> }>).map((i) => i.path.join(".")))
]

describe("typed API: sessions", () => {
  layer(apiServer((lb) => lb.config()), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("start, get, list with filters, events, send, feedback, cancel; a message after cancel is a 409", () =>
      Effect.gen(function*() {
        const api = yield* client
        const started = yield* api.sessions.start({ payload: { message: "hello there", userId: "u-1" } })
        assert.strictEqual(started.reply?.content, "echo: hello there")
        assert.strictEqual(started.status, "idle")
        const id = started.sessionId

        const one = yield* api.sessions.get({ path: { id } })
        assert.strictEqual(one.sessionId, id)
        assert.strictEqual(one.source, "http")
        assert.deepStrictEqual(one.userId, Option.some("u-1"))

        yield* (yield* ProjectionRunner).catchUp()
        const mine = yield* api.sessions.list({ urlParams: { user: "u-1", source: "http", status: "active" } })
        assert.deepStrictEqual(mine.sessions.map((s) => s.sessionId), [id])
        assert.strictEqual((yield* api.sessions.list({ urlParams: { user: "nobody" } })).sessions.length, 0)
        assert.strictEqual((yield* api.sessions.list({ urlParams: { source: "cli" } })).sessions.length, 0)
        const future = new Date(Date.now() + 60_000)
        assert.strictEqual((yield* api.sessions.list({ urlParams: { since: future } })).sessions.length, 0)
        assert.isAtLeast((yield* api.sessions.list({ urlParams: { until: future } })).sessions.length, 1)

        const second = yield* api.sessions.send({ path: { id }, payload: { message: "again" } })
        assert.strictEqual(second.reply?.content, "echo: again")
        assert.strictEqual(second.reply?.turn, 2)

        const rated = yield* api.sessions.feedback({ path: { id }, payload: { rating: 0.5, comment: "fine", turn: 1 } })
        assert.strictEqual(rated.sessionId, id)

        const events = yield* api.sessions.events({ path: { id }, urlParams: {} })
        const types = events.events.map((e) => e.type)
        assert.strictEqual(types[0], "SessionStarted")
        assert.include(types, "FeedbackReceived")
        const feedback = events.events.find((e) => e.type === "FeedbackReceived")
        assert.deepInclude(feedback?.data as object, { rating: 0.5, comment: "fine", turn: 1, source: "http" })
        assert.deepStrictEqual(events.events.map((e) => e.streamVersion), events.events.map((_, i) => i + 1))
        assert.isNull(events.nextVersion)

        const paged = yield* api.sessions.events({ path: { id }, urlParams: { from: 2, limit: 2 } })
        assert.deepStrictEqual(paged.events.map((e) => e.streamVersion), [2, 3])
        assert.strictEqual(paged.nextVersion, 4)

        const cancelled = yield* api.sessions.cancel({ path: { id } })
        assert.strictEqual(cancelled.ending, "SessionCancelled")
        const late = yield* Effect.flip(api.sessions.send({ path: { id }, payload: { message: "too late" } }))
        assert.strictEqual(late._tag, "SessionAlreadyEnded")

        const raw = yield* post(`${yield* BaseUrl}/api/sessions/${id}/messages`, JSON.stringify({ message: "x" }))
        assert.strictEqual(raw.status, 409)
        assert.strictEqual(raw.body["_tag"], "SessionAlreadyEnded")

        // Streamed, the refusal comes after the response started: an `error` message, then the end.
        const streamUrl = `${yield* BaseUrl}/api/sessions/${id}/messages/stream`
        const streamed = yield* Effect.promise(async () =>
          readSse(
            await fetch(streamUrl, { method: "POST", headers: { "content-type": "application/json" }, body: `{"message":"x"}` })
          )
        )
        assert.deepStrictEqual(streamed.map((m) => m.event), ["error"])
        assert.strictEqual(JSON.parse(streamed[0]!.data)._tag, "SessionAlreadyEnded")
      }))

    it.effect("unknown sessions are 404 on get, events, send, cancel and feedback", () =>
      Effect.gen(function*() {
        const api = yield* client
        const base = yield* BaseUrl
        const id = "no-such-session"
        const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
          api.sessions.get({ path: { id: id as never } }),
          api.sessions.events({ path: { id: id as never }, urlParams: {} }),
          api.sessions.send({ path: { id: id as never }, payload: { message: "hi" } }),
          api.sessions.cancel({ path: { id: id as never } }),
          api.sessions.feedback({ path: { id: id as never }, payload: { rating: 1 } })
        ]
        for (const attempt of attempts) {
          const error = yield* Effect.flip(attempt)
          assert.strictEqual(error._tag, "SessionNotFound")
        }
        const raw = yield* get(`${base}/api/sessions/${id}`)
        assert.strictEqual(raw.status, 404)
        assert.deepStrictEqual(raw.body, { _tag: "SessionNotFound", sessionId: id })
        assert.strictEqual((yield* post(`${base}/api/sessions/${id}/messages/stream`, `{"message":"x"}`)).status, 404)
        // Nothing was created by the attempts.
        assert.strictEqual(yield* (yield* EventLog).streamVersion(`session-${id}` as never), 0)
      }))

    it.effect("bad payloads are 400 naming the failing field; malformed JSON is 400 too", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const api = yield* client
        const { sessionId } = yield* api.sessions.start({ payload: { message: "rate me" } })

        const wrongType = yield* post(`${base}/api/sessions/${sessionId}/feedback`, JSON.stringify({ rating: "great" }))
        assert.strictEqual(wrongType.status, 400)
        assert.strictEqual(wrongType.body["_tag"], "HttpApiDecodeError")
        assert.deepStrictEqual(issuePaths(wrongType.body), ["rating"])
        assert.match(String(wrongType.body["message"]), /rating/)

        const outOfRange = yield* post(`${base}/api/sessions/${sessionId}/feedback`, JSON.stringify({ rating: 3 }))
        assert.strictEqual(outOfRange.status, 400)
        assert.deepStrictEqual(issuePaths(outOfRange.body), ["rating"])

        const missing = yield* post(`${base}/api/sessions`, JSON.stringify({ mode: "chat" }))
        assert.strictEqual(missing.status, 400)
        assert.deepStrictEqual(issuePaths(missing.body), ["message"])

        const badMode = yield* post(`${base}/api/sessions`, JSON.stringify({ message: "x", mode: "turbo" }))
        assert.deepStrictEqual([badMode.status, issuePaths(badMode.body)], [400, ["mode"]])

        const malformed = yield* post(`${base}/api/sessions`, `{"message": "unterminated`)
        assert.strictEqual(malformed.status, 400)
        assert.strictEqual(malformed.body["_tag"], "HttpApiDecodeError")
        assert.match(String(malformed.body["message"]), /malformed JSON/)

        const badParam = yield* get(`${base}/api/sessions?limit=lots`)
        assert.deepStrictEqual([badParam.status, issuePaths(badParam.body)], [400, ["limit"]])
        const badStatus = yield* get(`${base}/api/sessions?status=sleeping`)
        assert.deepStrictEqual([badStatus.status, issuePaths(badStatus.body)], [400, ["status"]])
        const badId = yield* get(`${base}/api/sessions/${encodeURIComponent("bad id!")}`)
        assert.deepStrictEqual([badId.status, issuePaths(badId.body)], [400, ["id"]])
      }))

    it.effect("the streamed variant sends events, text deltas and the final reply as SSE", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const lb = yield* Loopback
        lb.enqueue(Reply.text("one two three"))
        const messages = yield* Effect.promise(async () => {
          const res = await fetch(`${base}/api/sessions/stream`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ message: "count" })
          })
          assert.strictEqual(res.status, 200)
          assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/)
          return readSse(res)
        })
        const kinds = messages.map((m) => m.event)
        assert.strictEqual(kinds.at(-1), "reply")
        const deltas = messages.filter((m) => m.event === "delta").map((m) => (JSON.parse(m.data) as { text: string }).text)
        assert.strictEqual(deltas.join(""), "one two three")
        const events = messages.filter((m) => m.event === "event").map((m) => JSON.parse(m.data) as { type: string; position: number })
        assert.strictEqual(events[0]?.type, "SessionStarted")
        assert.include(events.map((e) => e.type), "AssistantReplied")
        const reply = JSON.parse(messages.at(-1)!.data) as { sessionId: string; reply: { content: string } }
        assert.strictEqual(reply.reply.content, "one two three")

        // A follow-up message on the same session, streamed.
        const follow = yield* Effect.promise(async () =>
          readSse(
            await fetch(`${base}/api/sessions/${reply.sessionId}/messages/stream`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ message: "more" })
            })
          )
        )
        assert.strictEqual(JSON.parse(follow.at(-1)!.data).reply.content, "echo: more")
      }))
  })
})
