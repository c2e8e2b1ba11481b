import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SessionId, StreamId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { UserMessageReceived } from "../../../src/events/TauEvent.ts"
import { TauApi } from "../../../src/http/Api.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { apiServer, BaseUrl, client, TestCallerMiddleware } from "./support.ts"

const fetchJson = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const res = await fetch(url, init)
    const text = await res.text()
    return { status: res.status, type: res.headers.get("content-type") ?? "", text }
  })

describe("typed API: projections, OpenAPI and /docs", () => {
  layer(apiServer((lb) => lb.config(), TestCallerMiddleware), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("status lists every projection with position, head and lag; rebuild is admin-only; unknown names are 404", () =>
      Effect.gen(function*() {
        const api = yield* client
        const base = yield* BaseUrl
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        yield* api.sessions.start({ payload: { message: "something to project" } })
        yield* log.append(StreamId.make("misc-1"), "any", [new UserMessageReceived({ sessionId: SessionId.make("x"), content: "y" })])
        yield* runner.catchUp()
        const head = yield* log.head

        const overview = yield* api.projections.status()
        assert.strictEqual(overview.head, head)
        assert.deepStrictEqual(
          overview.projections.map((p) => p.name).sort(),
          runner.projections.map((p) => p.name).sort()
        )
        const sessions = overview.projections.find((p) => p.name === "sessions")!
        assert.deepStrictEqual([sessions.position, sessions.lag, sessions.deadLetters, sessions.state], [head, 0, 0, "live"])
        assert.deepStrictEqual(yield* api.projections.deadLetters({ path: { name: "sessions" } }), [])

        const rebuilt = yield* api.projections.rebuild({ path: { name: "sessions" } })
        assert.deepStrictEqual([rebuilt.name, rebuilt.position, rebuilt.lag], ["sessions", head, 0])
        assert.strictEqual((yield* api.sessions.list({ urlParams: {} })).sessions.length, 1)

        const missing = yield* Effect.flip(api.projections.rebuild({ path: { name: "nope" } }))
        assert.strictEqual(missing._tag, "ProjectionNotFound")
        const missingRaw = yield* fetchJson(`${base}/api/projections/nope/rebuild`, { method: "POST" })
        assert.strictEqual(missingRaw.status, 404)
        assert.strictEqual((yield* fetchJson(`${base}/api/projections/nope/dead-letters`)).status, 404)

        for (const scope of ["read", "write"]) {
          const refused = yield* fetchJson(`${base}/api/projections/sessions/rebuild`, {
            method: "POST",
            headers: { "x-test-scope": scope }
          })
          assert.strictEqual(refused.status, 403)
          assert.deepInclude(JSON.parse(refused.text), { _tag: "ScopeRequired", required: "admin" })
        }
      }))

    it.effect("/openapi.json is valid JSON listing every endpoint; /docs serves a self-contained page", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const spec = yield* fetchJson(`${base}/openapi.json`)
        assert.strictEqual(spec.status, 200)
        const doc = JSON.parse(spec.text) as {
          openapi: string
          info: { title: string }
          paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
        }
        assert.strictEqual(doc.info.title, "Tau")
        const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
          Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)
        ).sort()
        // Every endpoint of every group, as TauApi defines them (groups added later included).
        const defined = Object.values(TauApi.groups).flatMap((group) =>
          Object.values(group.endpoints).map((e) => `${e.method} ${e.path.replace(/:(\w+)/g, "{$1}")}`)
        ).sort()
        assert.deepStrictEqual(operations, defined)
        for (const mine of [
          "GET /api/events",
          "GET /api/events/stream",
          "GET /api/projections",
          "GET /api/projections/{name}/dead-letters",
          "GET /api/sessions",
          "GET /api/sessions/{id}",
          "GET /api/sessions/{id}/events",
          "POST /api/projections/{name}/rebuild",
          "POST /api/sessions",
          "POST /api/sessions/stream",
          "POST /api/sessions/{id}/cancel",
          "POST /api/sessions/{id}/feedback",
          "POST /api/sessions/{id}/messages",
          "POST /api/sessions/{id}/messages/stream"
        ]) assert.include(operations, mine)
        assert.hasAllKeys(doc.paths["/api/sessions/{id}/messages"]!["post"]!.responses, ["200", "400", "403", "404", "409", "500", "503"])

        const docs = yield* fetchJson(`${base}/docs`)
        assert.strictEqual(docs.status, 200)
        assert.match(docs.type, /text\/html/)
        assert.include(docs.text, "SwaggerUIBundle")
        assert.notMatch(docs.text, /<script[^>]+src=|<link[^>]+href="https?:/)
      }))
  })
})
