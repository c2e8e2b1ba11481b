/**
 * The `memory` HTTP group served by a real node:http server over the Memory service on SQLite: the typed client
 * for the operations and typed errors, raw fetch for statuses and malformed input, and the OpenAPI document.
 */
import { FetchHttpClient, HttpApiClient, HttpLayerRouter, OpenApi } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { MemoryApi } from "../../../src/http/memory/Api.ts"
import { MemoryHttpApi, MemoryHttpLive } from "../../../src/http/memory/Http.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { sqliteMemory } from "./support.ts"

class BaseUrl extends Context.Tag("test/memory/BaseUrl")<BaseUrl, string>() {}

const server = Layer.effect(BaseUrl, gatewayUrl).pipe(
  Layer.provideMerge(serveRoutes(HttpLayerRouter.addHttpApi(MemoryHttpApi).pipe(Layer.provide(MemoryHttpLive)))),
  Layer.provide(sqliteMemory),
  Layer.provideMerge(FetchHttpClient.layer)
)

const client = Effect.flatMap(BaseUrl, (baseUrl) => HttpApiClient.make(MemoryHttpApi, { baseUrl }))

const raw = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(BaseUrl, (baseUrl) =>
    Effect.promise(async () => {
      const response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: init.body === undefined ? {} : { "content-type": "application/json" }
      })
      const text = await response.text()
      return { status: response.status, body: text.length === 0 ? undefined : JSON.parse(text) as Record<string, unknown> }
    }))

/** An error's own fields (and tag), for deepInclude over a union of error classes. */
const fields = (error: object): Record<string, unknown> => ({ ...error })

describe("HTTP /api/memory", () => {
  it.scopedLive("create, get, update, link, search with components and filters, graph, delete, restore", () =>
    Effect.gen(function*() {
      const api = yield* client
      const pg = yield* api.memory.create({
        payload: { scope: "workspace", workspace: "/repo", kind: "decision", content: "We use PostgreSQL 16 with LISTEN/NOTIFY for live events", tags: ["db"] }
      })
      assert.isNull(pg.mergedFrom)
      assert.strictEqual(pg.memory.importance, 0.85)
      const lint = yield* api.memory.create({ payload: { scope: "global", kind: "fact", content: "ESLint runs with dprint formatting rules" } })
      const copy = yield* api.memory.create({
        payload: { scope: "workspace", workspace: "/repo", kind: "decision", content: "We use PostgreSQL 16 with LISTEN/NOTIFY for live events!" }
      })
      assert.strictEqual(copy.memory.id, pg.memory.id)
      assert.isNotNull(copy.mergedFrom)

      const got = yield* api.memory.get({ path: { id: pg.memory.id } })
      assert.strictEqual(got.content, "We use PostgreSQL 16 with LISTEN/NOTIFY for live events")
      assert.instanceOf(got.createdAt, Date)
      const updated = yield* api.memory.update({ path: { id: lint.memory.id }, payload: { importance: 0.4, tags: ["lint"] } })
      assert.deepInclude(updated, { importance: 0.4, content: "ESLint runs with dprint formatting rules" })
      assert.deepStrictEqual(updated.tags, ["lint"])

      const edge = yield* api.memory.link({ path: { id: pg.memory.id }, payload: { to: lint.memory.id, relation: "relates_to", weight: 0.8 } })
      assert.deepInclude(edge, { from: pg.memory.id, to: lint.memory.id, relation: "relates_to", weight: 0.8 })

      const hits = yield* api.memory.search({ urlParams: { q: "which database for live events" } })
      assert.strictEqual(hits[0]?.memory.id, pg.memory.id)
      assert.isNotNull(hits[0]!.components.vector)
      assert.isNotNull(hits[0]!.components.lexical)
      const linked = hits.find((h) => h.memory.id === lint.memory.id)
      assert.strictEqual(linked?.components.graphDepth, 1)
      const facts = yield* api.memory.search({ urlParams: { q: "database live events", kind: ["fact", "preference"], scope: "global" } })
      assert.isFalse(facts.some((h) => h.memory.id === pg.memory.id))
      const tagged = yield* api.memory.search({ urlParams: { q: "ESLint dprint", tags: ["lint"], limit: 1, minScore: 0.01 } })
      assert.deepStrictEqual(tagged.map((h) => h.memory.id), [lint.memory.id])
      const lexicalOnly = yield* api.memory.search({ urlParams: { q: "PostgreSQL", mode: "lexical", graph: false } })
      assert.isNull(lexicalOnly[0]!.components.vector)

      const around = yield* api.memory.graph({ path: { id: lint.memory.id }, urlParams: { depth: 1 } })
      assert.deepStrictEqual(around.nodes.map((n) => [n.id, n.depth, n.kind]).sort(), [[lint.memory.id, 0, "fact"], [pg.memory.id, 1, "decision"]].sort())
      assert.strictEqual(around.edges.length, 1)
      const byQuery = yield* api.memory.queryGraph({ urlParams: { q: "PostgreSQL LISTEN/NOTIFY", maxNodes: 5 } })
      assert.isTrue(byQuery.nodes.some((n) => n.id === pg.memory.id && n.depth === 0))
      assert.isTrue(byQuery.edges.some((e) => e.relation === "relates_to" && e.weight === 0.8))

      const deleted = yield* api.memory.delete({ path: { id: pg.memory.id }, urlParams: { reason: "moved" } })
      assert.isTrue(deleted.deleted)
      const after = yield* api.memory.search({ urlParams: { q: "PostgreSQL LISTEN/NOTIFY live events" } })
      assert.isFalse(after.some((h) => h.memory.id === pg.memory.id))
      assert.isTrue((yield* api.memory.get({ path: { id: pg.memory.id } })).deleted)
      const restored = yield* api.memory.restore({ path: { id: pg.memory.id }, urlParams: {} })
      assert.isFalse(restored.deleted)
      const back = yield* api.memory.search({ urlParams: { q: "PostgreSQL LISTEN/NOTIFY live events" } })
      assert.strictEqual(back[0]?.memory.id, pg.memory.id)
    }).pipe(Effect.provide(server)), { timeout: 60_000 })

  it.scopedLive("unknown id 404, limits 413, invalid input 400 with the failing path", () =>
    Effect.gen(function*() {
      const api = yield* client
      const missing = yield* Effect.flip(api.memory.get({ path: { id: "no-such-memory" as never } }))
      assert.strictEqual(missing._tag, "MemoryNotFound")
      const rec = yield* api.memory.create({ payload: { scope: "global", kind: "fact", content: "a fact" } })
      const badLink = yield* Effect.flip(api.memory.link({ path: { id: rec.memory.id }, payload: { to: "nope" as never, relation: "supports" } }))
      assert.deepInclude(fields(badLink), { _tag: "MemoryNotFound", memoryId: "nope" })
      const huge = yield* Effect.flip(api.memory.create({ payload: { scope: "global", kind: "fact", content: "x".repeat(9000) } }))
      assert.deepInclude(fields(huge), { _tag: "MemoryTooLarge", field: "content", size: 9000, limit: 8000 })
      const noWorkspace = yield* Effect.flip(api.memory.create({ payload: { scope: "workspace", kind: "fact", content: "somewhere" } }))
      assert.deepInclude(fields(noWorkspace), { _tag: "InvalidMemoryInput", reason: "workspace scope needs a workspace" })

      assert.deepInclude(yield* raw("/api/memory/no-such-memory"), { status: 404, body: { _tag: "MemoryNotFound", memoryId: "no-such-memory" } })
      assert.strictEqual((yield* raw("/api/memory/no-such-memory/graph")).status, 404)
      assert.strictEqual((yield* raw("/api/memory/no-such-memory", { method: "DELETE" })).status, 404)
      assert.strictEqual((yield* raw("/api/memory/no-such-memory/restore", { method: "POST" })).status, 404)
      const bare = yield* raw(`/api/memory/${rec.memory.id}/restore?reason=${encodeURIComponent("no body needed")}`, { method: "POST" })
      assert.deepInclude(bare, { status: 200 })
      assert.strictEqual(bare.body?.deleted, false)
      const tooLarge = yield* raw("/api/memory", { method: "POST", body: JSON.stringify({ scope: "global", kind: "fact", content: "y".repeat(8001) }) })
      assert.strictEqual(tooLarge.status, 413)
      const tags = yield* raw(`/api/memory/${rec.memory.id}`, { method: "PATCH", body: JSON.stringify({ tags: Array.from({ length: 40 }, (_, i) => `t${i}`) }) })
      assert.deepInclude(tags, { status: 413, body: { _tag: "MemoryTooLarge", field: "tags", size: 40, limit: 32 } })

      const badKind = yield* raw("/api/memory", { method: "POST", body: JSON.stringify({ scope: "global", kind: "rumour", content: "x" }) })
      assert.strictEqual(badKind.status, 400)
      assert.strictEqual(badKind.body?._tag, "HttpApiDecodeError")
      const issues = badKind.body?.issues as ReadonlyArray<{ path: ReadonlyArray<string> }>
      assert.deepStrictEqual(issues[0]?.path, ["kind"])
      const badWeight = yield* raw(`/api/memory/${rec.memory.id}/links`, { method: "POST", body: JSON.stringify({ to: rec.memory.id, relation: "supports", weight: 3 }) })
      assert.strictEqual(badWeight.status, 400)
      assert.deepStrictEqual((badWeight.body?.issues as ReadonlyArray<{ path: ReadonlyArray<string> }>)[0]?.path, ["weight"])
      const selfLink = yield* raw(`/api/memory/${rec.memory.id}/links`, { method: "POST", body: JSON.stringify({ to: rec.memory.id, relation: "supports" }) })
      assert.deepInclude(selfLink, { status: 400, body: { _tag: "InvalidMemoryInput", reason: "a memory cannot link to itself" } })
      const emptyUpdate = yield* raw(`/api/memory/${rec.memory.id}`, { method: "PATCH", body: "{}" })
      assert.deepInclude(emptyUpdate, { status: 400, body: { _tag: "InvalidMemoryInput", reason: "nothing to update" } })
      assert.strictEqual((yield* raw("/api/memory/search")).status, 400, "q is required")
      const badLimit = yield* raw("/api/memory/search?q=x&limit=500")
      assert.strictEqual(badLimit.status, 400)
      assert.deepStrictEqual((badLimit.body?.issues as ReadonlyArray<{ path: ReadonlyArray<string> }>)[0]?.path, ["limit"])
      assert.strictEqual((yield* raw("/api/memory/search?q=x&kind=fact,rumour")).status, 400)
      assert.strictEqual((yield* raw(`/api/memory/${rec.memory.id}/graph?depth=3`)).status, 400)
      assert.strictEqual((yield* raw("/api/memory/graph?q=x&maxNodes=201")).status, 400)
      assert.strictEqual((yield* raw("/api/memory/not%20an%20id")).status, 400)
      const longQuery = yield* raw(`/api/memory/search?q=${"w".repeat(2001)}`)
      assert.deepInclude(longQuery, { status: 400, body: { _tag: "InvalidMemoryInput", reason: "query longer than 2000 characters" } })
    }).pipe(Effect.provide(server)), { timeout: 60_000 })

  it("OpenAPI: every operation under /api/memory with its error statuses", () => {
    const spec = OpenApi.fromApi(MemoryHttpApi)
    const paths = spec.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>
    assert.deepStrictEqual(Object.keys(paths).sort(), [
      "/api/memory",
      "/api/memory/graph",
      "/api/memory/search",
      "/api/memory/{id}",
      "/api/memory/{id}/graph",
      "/api/memory/{id}/links",
      "/api/memory/{id}/restore"
    ])
    assert.hasAllKeys(paths["/api/memory/{id}"]!, ["get", "patch", "delete"])
    assert.includeMembers(Object.keys(paths["/api/memory/{id}"]!["get"]!.responses), ["200", "404", "400"])
    assert.includeMembers(Object.keys(paths["/api/memory"]!["post"]!.responses), ["201", "400", "413"])
    assert.strictEqual(MemoryApi.identifier, "memory")
  })
})
