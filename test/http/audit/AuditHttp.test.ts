import { assert, describe, it } from "@effect/vitest"
import { FetchHttpClient, HttpApi, HttpApiBuilder, HttpApiClient, HttpLayerRouter } from "@effect/platform"
import { Effect, Exit, Layer, Schema } from "effect"
import { ApiKeyId } from "../../../src/domain/Ids.ts"
import { AuditApi } from "../../../src/http/audit/Api.ts"
import { listAudit } from "../../../src/http/audit/Http.ts"
import { AuditTrail } from "../../../src/http/audit/AuditTrail.ts"
import { CurrentCaller } from "../../../src/http/Caller.ts"
import { AuditProjection } from "../../../src/projections/AuditProjection.ts"
import { AuditQuery } from "../../../src/projections/AuditQuery.ts"
import { AuditCursor } from "../../../src/projections/AuditRecords.ts"
import type { AuditFilters, AuditRecord } from "../../../src/projections/AuditRecords.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { world } from "../../projections/support.ts"
import { day, entry, eventually, freshDatabase, trailLayer } from "./support.ts"

const TestApi = HttpApi.make("test").add(AuditApi)
const AuditGroupTest = HttpApiBuilder.group(TestApi, "audit", (handlers) => handlers.handle("list", listAudit))

const entries = Array.from({ length: 40 }, (_, i) => entry(i))

const newestFirst = (a: AuditRecord, b: AuditRecord) =>
  b.startedAt - a.startedAt || (a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0)

const getJson = (url: string) =>
  Effect.promise(async () => {
    const res = await fetch(url)
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  })

const issuePaths = (body: Record<string, unknown>) => [
  ...new Set((body["issues"] as ReadonlyArray<{ path: ReadonlyArray<unknown> }>).map((i) => i.path.join(".")))
]

describe("typed API: audit", () => {
  it.scopedLive("requests recorded by the trail are listed over HTTP with filters and cursor paging; bad filters are 400s", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      const app = Layer.mergeAll(trailLayer(), AuditQuery.Default).pipe(
        Layer.provideMerge(world(db.layer(), [AuditProjection], { live: true }))
      )
      const server = serveRoutes(HttpLayerRouter.addHttpApi(TestApi).pipe(Layer.provide(AuditGroupTest))).pipe(
        Layer.provideMerge(app)
      )
      yield* Effect.gen(function*() {
        const trail = yield* AuditTrail
        yield* Effect.forEach(entries, trail.record, { discard: true })
        yield* eventually(Effect.map(trail.stats, (s) => s.written === entries.length))
        yield* (yield* ProjectionRunner).catchUp()

        const url = yield* gatewayUrl
        const client = yield* HttpApiClient.make(TestApi, { baseUrl: url })
        const pageAll = (filters: AuditFilters) =>
          Effect.gen(function*() {
            const rows: Array<AuditRecord> = []
            let cursor: AuditFilters["cursor"] = undefined
            for (;;) {
              const page = yield* client.audit.list({ urlParams: { ...filters, ...(cursor === undefined ? {} : { cursor }) } })
              rows.push(...page.entries)
              if (page.next === undefined) return rows
              cursor = Schema.decodeSync(AuditCursor)(page.next)
            }
          })

        const all = yield* pageAll({ limit: 7 })
        assert.strictEqual(all.length, 40)
        assert.deepStrictEqual(all.map((r) => r.requestId), [...all].sort(newestFirst).map((r) => r.requestId))
        assert.deepStrictEqual(all[0]?.requestId, entries[39]!.requestId)

        const key1 = yield* pageAll({ keyId: ApiKeyId.make("key1"), statusClass: "4xx", limit: 2 })
        const expected = entries.filter((e) => e.keyId === "key1" && e.status >= 400 && e.status < 500)
        assert.isAbove(expected.length, 0)
        assert.deepStrictEqual(key1.map((r) => r.requestId).sort(), expected.map((e) => e.requestId).sort())

        const routed = yield* client.audit.list({ urlParams: { route: "/api/sessions/3", status: 500 } })
        assert.deepStrictEqual(
          routed.entries.map((r) => r.requestId).sort(),
          entries.filter((e) => e.route === "/api/sessions/3" && e.status === 500).map((e) => e.requestId).sort()
        )

        // since (inclusive) as ISO text and until (exclusive) as epoch ms.
        const since = new Date(day + 3_600_000 + 10).toISOString()
        const window = yield* getJson(`${url}/api/audit?since=${since}&until=${day + 3_600_000 + 20}`)
        assert.strictEqual(window.status, 200)
        const windowIds = (window.body["entries"] as ReadonlyArray<{ requestId: string }>).map((e) => e.requestId)
        assert.deepStrictEqual(windowIds, entries.slice(10, 20).reverse().map((e) => e.requestId))
        assert.isUndefined(window.body["next"])

        const bad = [
          ["status=abc", "status"],
          ["status=99", "status"],
          ["statusClass=6xx", "statusClass"],
          ["since=yesterday", "since"],
          ["until=2026-13-45T00:00:00Z", "until"],
          ["cursor=not-a-cursor", "cursor"],
          ["limit=5000", "limit"],
          ["offset=-1", "offset"],
          ["keyId=has%20space", "keyId"]
        ] as const
        for (const [query, path] of bad) {
          const res = yield* getJson(`${url}/api/audit?${query}`)
          assert.strictEqual(res.status, 400, query)
          assert.deepStrictEqual(issuePaths(res.body), [path], query)
        }
      }).pipe(Effect.provide(server))
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scopedLive("a caller without the admin scope gets ScopeRequired, not the trail", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      const exit = yield* listAudit({ urlParams: {} }).pipe(
        Effect.locally(CurrentCaller, { keyId: ApiKeyId.make("reader"), name: "reader", scope: "read" }),
        Effect.exit,
        Effect.provide(AuditQuery.Default.pipe(Layer.provideMerge(world(db.layer(), [AuditProjection]))))
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(JSON.stringify(exit.cause), "ScopeRequired")
    }))
})
