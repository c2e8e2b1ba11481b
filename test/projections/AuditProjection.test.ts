import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Schema } from "effect"
import { ApiKeyId, SessionId } from "../../src/domain/Ids.ts"
import { RequestAudited } from "../../src/events/catalogue/GatewayEvents.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { auditStream } from "../../src/events/Streams.ts"
import type { AuditEntry } from "../../src/http/audit/AuditTrail.ts"
import { planAuditBatch } from "../../src/http/audit/AuditTrail.ts"
import { AuditProjection } from "../../src/projections/AuditProjection.ts"
import { AuditQuery } from "../../src/projections/AuditQuery.ts"
import { AuditCursor } from "../../src/projections/AuditRecords.ts"
import type { AuditFilters, AuditRecord, StatusClass } from "../../src/projections/AuditRecords.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { describePg } from "../support/Pg.ts"
import { caughtUp, pgBackend, sqliteBackend, world } from "./support.ts"
import type { Backend } from "./support.ts"

const midnight = Date.UTC(2026, 10, 26)

const EntryArb = fc.record({
  requestId: fc.stringMatching(/^[a-z0-9_]{1,6}$/),
  keyId: fc.constantFrom(undefined, "k1", "k2"),
  sessionId: fc.constantFrom(undefined, "s1", "s2"),
  status: fc.constantFrom(101, 200, 201, 204, 302, 400, 404, 429, 500, 503),
  route: fc.constantFrom("/api/sessions", "/api/sessions/x", "/api/audit", "/v1/chat/completions", "/API/sessions", "/"),
  method: fc.constantFrom("GET", "POST"),
  latencyMs: fc.integer({ min: 0, max: 5000 }),
  // Few distinct times (many ties on started_at), across a midnight (two day streams).
  startedAt: fc.integer({ min: midnight - 6, max: midnight + 6 })
}).map((e): AuditEntry => ({
  ...e,
  keyId: e.keyId === undefined ? undefined : ApiKeyId.make(e.keyId),
  sessionId: e.sessionId === undefined ? undefined : SessionId.make(e.sessionId)
}))

const EntriesArb = fc.uniqueArray(EntryArb, { selector: (e) => e.requestId, maxLength: 60 })

const TimeArb = fc.integer({ min: midnight - 8, max: midnight + 8 })
/** Each filter present one time in four, so that combinations still match rows. */
const sometimes = <A>(arb: fc.Arbitrary<A>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 })
const FilterArb = fc.record({
  keyId: sometimes(fc.constantFrom("k1", "k2").map(ApiKeyId.make)),
  sessionId: sometimes(fc.constantFrom("s1", "s2").map(SessionId.make)),
  status: sometimes(fc.constantFrom(200, 404, 500)),
  statusClass: sometimes(fc.constantFrom<StatusClass>("1xx", "2xx", "3xx", "4xx", "5xx")),
  route: sometimes(fc.constantFrom("/api", "/api/sessions", "/v1", "/API", "/", "/api/sessions/x/y")),
  since: sometimes(TimeArb),
  until: sometimes(TimeArb)
}).map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as { [K in keyof typeof f]?: Exclude<(typeof f)[K], undefined> })
type Filter = typeof FilterArb extends fc.Arbitrary<infer A> ? A : never

const matches = (f: Filter) => (e: AuditEntry) =>
  (f.keyId === undefined || e.keyId === f.keyId) &&
  (f.sessionId === undefined || e.sessionId === f.sessionId) &&
  (f.status === undefined || e.status === f.status) &&
  (f.statusClass === undefined || Math.floor(e.status / 100) === Number(f.statusClass[0])) &&
  (f.route === undefined || e.route.startsWith(f.route)) &&
  (f.since === undefined || e.startedAt >= f.since) &&
  (f.until === undefined || e.startedAt < f.until)

const newestFirst = (a: { startedAt: number; requestId: string }, b: { startedAt: number; requestId: string }) =>
  b.startedAt - a.startedAt || (a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0)

/** What the table must hold for `entries`, in query order. */
const expectedRows = (entries: ReadonlyArray<AuditEntry>) =>
  [...entries].sort(newestFirst).map((e) => ({
    requestId: e.requestId,
    ...(e.keyId === undefined ? {} : { keyId: e.keyId }),
    method: e.method,
    route: e.route,
    ...(e.sessionId === undefined ? {} : { sessionId: e.sessionId }),
    status: e.status,
    latencyMs: e.latencyMs,
    startedAt: e.startedAt
  }))

const plain = (r: AuditRecord) => ({ ...r })

const decodeCursor = Schema.decodeSync(AuditCursor)

/** Every row matching `filters`, page by page through `next` cursors; checks each page's size. */
const pageByCursor = (filters: AuditFilters, limit: number) =>
  Effect.gen(function*() {
    const query = yield* AuditQuery
    const rows: Array<AuditRecord> = []
    let cursor: AuditFilters["cursor"] = undefined
    for (let pages = 0; pages < 1000; pages++) {
      const page = yield* query.list({ ...filters, limit, ...(cursor === undefined ? {} : { cursor }) })
      rows.push(...page.entries)
      if (page.next === undefined) return rows
      assert.strictEqual(page.entries.length, limit)
      cursor = decodeCursor(page.next)
    }
    return assert.fail("paging did not end")
  })

const pageByOffset = (filters: AuditFilters, limit: number) =>
  Effect.gen(function*() {
    const query = yield* AuditQuery
    const rows: Array<AuditRecord> = []
    for (let offset = 0; offset < 100_000; offset += limit) {
      const page = yield* query.list({ ...filters, limit, offset })
      rows.push(...page.entries)
      if (page.next === undefined) return rows
    }
    return assert.fail("paging did not end")
  })

const appendEntries = (entries: ReadonlyArray<AuditEntry>, chunk: number) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    for (let i = 0; i < entries.length; i += chunk) {
      for (const { events, streamId } of planAuditBatch(entries.slice(i, i + chunk))) {
        yield* log.append(streamId, "any", events)
      }
    }
  })

const tableRows = Effect.flatMap(AuditQuery, (q) => q.list({ limit: 1000 })).pipe(
  Effect.map((page) => page.entries.map(plain))
)

const suite = (backend: Backend, numRuns: number) => {
  it.scopedLive.prop(
    "the audit table equals the log's first entry per request, newest first; a rebuild equals live processing",
    { entries: EntriesArb, repeats: fc.array(EntryArb, { maxLength: 5 }), live: fc.boolean(), chunk: fc.integer({ min: 1, max: 20 }) },
    ({ chunk, entries, live, repeats }) =>
      Effect.gen(function*() {
        const database = yield* backend.fresh
        yield* Effect.gen(function*() {
          const log = yield* EventLog
          const runner = yield* ProjectionRunner
          yield* appendEntries(entries, chunk)
          // Events that reuse a request id under other event ids (not something the trail writes): first one wins.
          const again = repeats.map((r) => ({ ...r, requestId: entries[0]?.requestId ?? r.requestId }))
          for (const repeat of again) {
            const event = new RequestAudited({
              requestId: repeat.requestId,
              ...(repeat.keyId === undefined ? {} : { keyId: repeat.keyId }),
              method: repeat.method,
              route: repeat.route,
              ...(repeat.sessionId === undefined ? {} : { sessionId: repeat.sessionId }),
              status: repeat.status,
              latencyMs: repeat.latencyMs,
              startedAt: repeat.startedAt
            })
            yield* log.append(auditStream(new Date(event.startedAt)), "any", [event])
          }
          const seen = new Set<string>()
          const firsts = [...entries, ...again].filter((e) => !seen.has(e.requestId) && seen.add(e.requestId) !== undefined)
          yield* caughtUp(live)
          const processed = yield* tableRows
          assert.deepStrictEqual(processed, expectedRows(firsts))
          yield* runner.rebuild("audit")
          yield* caughtUp(live)
          assert.deepStrictEqual(yield* tableRows, processed)
        }).pipe(Effect.provide(AuditQuery.Default.pipe(Layer.provideMerge(world(database(), [AuditProjection], { live })))))
      }),
    { timeout: 120_000, fastCheck: { numRuns } }
  )

  it.scopedLive.prop(
    "paging through any filter (by cursor or by offset) returns every matching row exactly once, newest first",
    { entries: EntriesArb, filters: fc.array(FilterArb, { maxLength: 4 }), limit: fc.integer({ min: 1, max: 7 }) },
    ({ entries, filters, limit }) =>
      Effect.gen(function*() {
        const database = yield* backend.fresh
        yield* Effect.gen(function*() {
          yield* appendEntries(entries, 25)
          yield* (yield* ProjectionRunner).catchUp()
          for (const filter of [{}, ...filters]) {
            const expected = expectedRows(entries.filter(matches(filter)))
            assert.deepStrictEqual((yield* pageByCursor(filter, limit)).map(plain), expected, JSON.stringify(filter))
            assert.deepStrictEqual((yield* pageByOffset(filter, limit)).map(plain), expected, JSON.stringify(filter))
          }
        }).pipe(Effect.provide(AuditQuery.Default.pipe(Layer.provideMerge(world(database(), [AuditProjection])))))
      }),
    { timeout: 120_000, fastCheck: { numRuns } }
  )
}

describe("audit projection [sqlite]", () => suite(sqliteBackend, 25))
describePg("audit projection", () => suite(pgBackend, 8))
