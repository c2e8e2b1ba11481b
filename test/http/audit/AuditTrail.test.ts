import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, FastCheck as fc, Layer, Logger, Schema } from "effect"
import { RequestAudited } from "../../../src/events/catalogue/GatewayEvents.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { auditStream, streamKind } from "../../../src/events/Streams.ts"
import { AuditTrail, auditEvent, auditEventId, planAuditBatch } from "../../../src/http/audit/AuditTrail.ts"
import type { AuditEntry } from "../../../src/http/audit/AuditTrail.ts"
import { day, entry, eventually, freshDatabase, trailLayer } from "./support.ts"

/** Every audit event in the log, in log order. */
const auditRows = Effect.flatMap(EventLog, (log) => log.readAllRaw(1, 1_000_000)).pipe(
  Effect.map((rows) => rows.filter((row) => streamKind(row.streamId) === "audit")),
  Effect.orDie
)

const settled = Effect.map(AuditTrail, (trail) => trail.stats).pipe(
  Effect.flatten,
  Effect.map((s) => s.written + s.lost === s.recorded)
)

const requestIdOf = (data: unknown) => (data as { readonly requestId: string }).requestId

const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e300, -0))
/** Any UTF-16 text, lone surrogates included. */
const anyText = (max: number) =>
  fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))), maxLength: max })

describe("audit trail", () => {
  it.prop(
    "any entry becomes a valid RequestAudited (clamped, lone surrogates replaced), or nothing without a request id",
    {
      requestId: anyText(300),
      keyId: fc.option(anyText(30), { nil: undefined }),
      sessionId: fc.option(anyText(30), { nil: undefined }),
      method: anyText(40),
      route: anyText(2500),
      status: anyNumber,
      latencyMs: anyNumber,
      startedAt: anyNumber
    },
    (raw) => {
      const event = auditEvent(raw as AuditEntry)
      if (raw.requestId === "") return assert.isUndefined(event)
      assert.isDefined(event)
      // Validation the constructor skipped, and the encoding the log will do.
      assert.doesNotThrow(() => Schema.validateSync(RequestAudited)(event))
      assert.doesNotThrow(() => JSON.parse(JSON.stringify(Schema.encodeSync(RequestAudited)(event!))))
      assert.notMatch(JSON.stringify(event), /\\ud[89a-f][0-9a-f]{2}/i)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.scopedLive("2000 records in a burst take a few appends of at most 500; every entry is in the log once", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      yield* Effect.gen(function*() {
        const trail = yield* AuditTrail
        const started = Date.now()
        yield* Effect.forEach(Array.from({ length: 2000 }, (_, i) => entry(i)), trail.record, { discard: true })
        const recordMs = Date.now() - started
        yield* eventually(settled)
        const stats = yield* trail.stats
        assert.deepStrictEqual({ ...stats, appends: 0 }, { recorded: 2000, dropped: 0, written: 2000, lost: 0, appends: 0, buffered: 0 })
        assert.isAtMost(stats.appends, 8, `appends: ${stats.appends}`)
        assert.isAtLeast(stats.appends, 4)
        assert.isBelow(recordMs, 1000)
        const rows = yield* auditRows
        assert.strictEqual(rows.length, 2000)
        assert.deepStrictEqual(new Set(rows.map((r) => requestIdOf(r.data))).size, 2000)
        for (const row of rows) {
          assert.strictEqual(row.eventId, auditEventId(requestIdOf(row.data)))
          assert.strictEqual(row.streamId, auditStream(new Date(day)))
        }
      }).pipe(Effect.provide(trailLayer().pipe(Layer.provideMerge(db.layer()))))
    }))

  it.scopedLive("a trickle is flushed within the interval, several entries per append", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      yield* Effect.gen(function*() {
        const trail = yield* AuditTrail
        const started = Date.now()
        yield* trail.record(entry(1))
        yield* eventually(Effect.map(trail.stats, (s) => s.written === 1))
        assert.isBelow(Date.now() - started, 1000)
        for (let i = 2; i <= 61; i++) {
          yield* trail.record(entry(i))
          yield* Effect.sleep("5 millis")
        }
        yield* eventually(settled)
        const stats = yield* trail.stats
        assert.strictEqual(stats.written, 61)
        // 60 entries over >= 300 ms with a 200 ms interval: a handful of appends, not 60.
        assert.isAtMost(stats.appends, 10, `appends: ${stats.appends}`)
        assert.isAtLeast(stats.appends, 2)
      }).pipe(Effect.provide(trailLayer().pipe(Layer.provideMerge(db.layer()))))
    }))

  it.scopedLive("a batch spanning midnight (UTC) is split into the two days' streams", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      const midnight = Date.UTC(2026, 10, 26)
      const entries = [-2, -1, 0, 1, 2].map((d, i) => entry(i, { startedAt: midnight + d }))
      assert.deepStrictEqual(
        planAuditBatch(entries).map((a) => [a.streamId, a.events.length]),
        [["audit-2026-11-25", 2], ["audit-2026-11-26", 3]]
      )
      yield* Effect.gen(function*() {
        const trail = yield* AuditTrail
        yield* Effect.forEach(entries, trail.record, { discard: true })
        yield* eventually(settled)
        assert.strictEqual((yield* trail.stats).appends, 2)
        const log = yield* EventLog
        assert.strictEqual(yield* log.streamVersion(auditStream(new Date(midnight - 1))), 2)
        assert.strictEqual(yield* log.streamVersion(auditStream(new Date(midnight))), 3)
      }).pipe(Effect.provide(trailLayer({ flushMs: 500 }).pipe(Layer.provideMerge(db.layer()))))
    }))

  it.scopedLive("closing the scope right after recording writes everything: all rows are there after reopening", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      // A long interval: nothing would be flushed before the close but for the close itself.
      yield* Effect.scoped(
        Effect.gen(function*() {
          const trail = yield* AuditTrail
          yield* Effect.forEach(Array.from({ length: 1234 }, (_, i) => entry(i)), trail.record, { discard: true })
        }).pipe(Effect.provide(trailLayer({ flushMs: 60_000 }).pipe(Layer.provideMerge(db.layer()))))
      )
      const rows = yield* auditRows.pipe(Effect.provide(db.layer()))
      assert.strictEqual(rows.length, 1234)
      assert.strictEqual(new Set(rows.map((r) => requestIdOf(r.data))).size, 1234)
    }))

  it.scopedLive("a retried batch is idempotent: the same entries appended again write nothing", () =>
    Effect.gen(function*() {
      const db = yield* freshDatabase()
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const entries = Array.from({ length: 50 }, (_, i) => entry(i))
        const [batch] = planAuditBatch(entries)
        const first = yield* log.append(batch!.streamId, "any", batch!.events)
        const again = yield* log.append(batch!.streamId, "any", planAuditBatch(entries)[0]!.events)
        assert.isTrue(first.written)
        assert.isFalse(again.written)
        assert.deepStrictEqual(again.positions, first.positions)
        // A second trail (a restarted process) recording the same requests adds nothing either.
        yield* Effect.scoped(
          Effect.gen(function*() {
            const trail = yield* AuditTrail
            yield* Effect.forEach(entries, trail.record, { discard: true })
            yield* eventually(settled)
            assert.strictEqual((yield* trail.stats).written, 50)
          }).pipe(Effect.provide(trailLayer()))
        )
        assert.strictEqual((yield* auditRows).length, 50)
      }).pipe(Effect.provide(db.layer()))
    }))

  it.scopedLive(
    "a stalled database: appends are retried until it frees up, a full buffer drops the newest entries, one warning",
    () =>
      Effect.gen(function*() {
        const db = yield* freshDatabase(20)
        const warnings: Array<string> = []
        const logger = Logger.replace(
          Logger.defaultLogger,
          Logger.make(({ logLevel, message }) => {
            if (logLevel._tag === "Warning") warnings.push(String(message))
          })
        )
        yield* Effect.gen(function*() {
          const trail = yield* AuditTrail
          yield* (yield* EventLog).head // the database is open and migrated before we lock it
          const lock = new Database(db.filename)
          lock.exec("BEGIN IMMEDIATE")
          yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => entry(i)), trail.record, { discard: true })
          yield* Effect.sleep("300 millis") // the first batch is taken and fails against the lock
          yield* Effect.forEach(Array.from({ length: 250 }, (_, i) => entry(50 + i)), trail.record, { discard: true })
          const stalled = yield* trail.stats
          assert.strictEqual(stalled.written, 0)
          assert.isAtLeast(stalled.appends, 2, "retried while locked")
          lock.exec("ROLLBACK")
          lock.close()
          yield* eventually(settled)
          const stats = yield* trail.stats
          assert.strictEqual(stats.dropped, 300 - stats.recorded)
          assert.isAtLeast(stats.dropped, 140)
          assert.strictEqual(stats.lost, 0)
          assert.strictEqual(stats.written, stats.recorded)
          const ids = (yield* auditRows).map((r) => requestIdOf(r.data)).sort()
          // The oldest entries are kept, the newest dropped.
          assert.deepStrictEqual(ids, Array.from({ length: stats.recorded }, (_, i) => entry(i).requestId))
          assert.strictEqual(warnings.filter((w) => w.includes("buffer full")).length, 1)
        }).pipe(
          Effect.provide(trailLayer({ capacity: 100, maxBatch: 50 }).pipe(Layer.provideMerge(db.layer()))),
          Effect.provide(logger)
        )
      }),
    { timeout: 30_000 }
  )
})
