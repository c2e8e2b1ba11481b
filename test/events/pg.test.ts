import { assert, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Fiber, Stream } from "effect"
import type { DurationInput } from "effect/Duration"
import pg from "pg"
import type { EventLogService } from "../../src/events/EventLog.ts"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { encoded, eventId, openPgLog, pgEventLogLayer, stream, v } from "../support/pgEventLog.ts"
import { eventLogContract } from "./contract/EventLogContract.ts"

const positions = (rows: ReadonlyArray<{ readonly position: number }>): Array<number> => rows.map((r) => r.position)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** Runs `f` with a raw node-postgres client (outside the Effect client), closed afterwards. */
const withRawClient = <A>(url: string, f: (client: pg.Client) => Promise<A>) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return await f(client)
    } finally {
      await client.end()
    }
  })

/** Collects the first `n` events of a subscription, or fails after `timeout`. */
const take = (log: EventLogService, from: number, n: number, timeout: DurationInput = "5 seconds") =>
  log.subscribeRaw(from).pipe(Stream.take(n), Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.timeout(timeout))

describePg("PgEventLog", () => {
  it.live("round-trips events: positions, versions, data, metadata, recorded-at", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const recordedAt = new Date("2024-05-06T07:08:09.123Z")
      const r1 = yield* log.appendEncoded(stream("s-1"), "no_stream", [
        encoded(1),
        { ...encoded(2), metadata: { correlationId: "c-1", actor: "me", traceId: "t", spanId: "s" }, recordedAt }
      ])
      const r2 = yield* log.appendEncoded(stream("s-2"), "any", [encoded(3)])
      const r3 = yield* log.appendEncoded(stream("s-1"), v(2), [encoded(4)])
      assert.deepStrictEqual(positions(r1.positions.map((position) => ({ position }))), [1, 2])
      assert.deepStrictEqual([r1.streamVersion, r2.streamVersion, r3.streamVersion], [2, 1, 3])
      assert.deepStrictEqual(r3.positions.map(Number), [4])
      assert.isTrue(r1.written)

      const all = yield* log.readAllRaw(1, 10)
      assert.deepStrictEqual(positions(all), [1, 2, 3, 4])
      assert.deepStrictEqual(all.map((e) => e.data), [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }])
      assert.deepStrictEqual(all.map((e) => [e.streamId, e.streamVersion]), [["s-1", 1], ["s-1", 2], ["s-2", 1], ["s-1", 3]])
      assert.strictEqual(typeof all[0]!.position, "number")
      assert.deepStrictEqual(all[1]!.metadata, { correlationId: "c-1", actor: "me", traceId: "t", spanId: "s" })
      assert.strictEqual(all[1]!.recordedAt.toISOString(), recordedAt.toISOString())
      assert.instanceOf(all[0]!.recordedAt, Date)

      assert.deepStrictEqual(positions(yield* log.readAllRaw(3, 10)), [3, 4])
      assert.deepStrictEqual(positions(yield* log.readAllRaw(1, 2)), [1, 2])
      assert.deepStrictEqual((yield* log.readStreamRaw(stream("s-1"))).map((e) => e.streamVersion), [1, 2, 3])
      assert.deepStrictEqual((yield* log.readStreamRaw(stream("s-1"), 3)).map((e) => e.position), [4])
      assert.strictEqual(yield* log.head, 4)
      assert.strictEqual(yield* log.streamVersion(stream("s-1")), 3)
      assert.strictEqual(yield* log.streamVersion(stream("missing")), 0)
    }).pipe(Effect.scoped))

  it.live("a version conflict is typed and writes nothing", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      yield* log.appendEncoded(stream("s"), "no_stream", [encoded(1)])
      const conflict = yield* Effect.flip(log.appendEncoded(stream("s"), v(0), [encoded(2), encoded(3)]))
      assert.strictEqual(conflict._tag, "StreamVersionConflict")
      if (conflict._tag === "StreamVersionConflict") {
        assert.strictEqual(conflict.expected, v(0))
        assert.strictEqual(conflict.actual, 1)
      }
      const noStream = yield* Effect.flip(log.appendEncoded(stream("s"), "no_stream", [encoded(4)]))
      assert.strictEqual(noStream._tag, "StreamVersionConflict")
      const missing = yield* Effect.flip(log.appendEncoded(stream("t"), v(3), [encoded(5)]))
      assert.strictEqual(missing._tag, "StreamVersionConflict")
      assert.deepStrictEqual(positions(yield* log.readAllRaw(1, 10)), [1])
      assert.strictEqual(yield* log.head, 1)
    }).pipe(Effect.scoped))

  it.live("idempotent retries return stored positions, also after reopening; reused ids with other content fail", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      // Quotes, backslashes, control characters and non-BMP text must survive byte for byte.
      const tricky = { ...encoded(0, eventId("tricky")), data: JSON.stringify({ s: "a\"b\\c\n\t\u0001 é 🦀 \u2028" }) }
      const batch = [encoded(1, eventId("e-1")), tricky, encoded(2, eventId("e-2"))]
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const { log } = yield* openPgLog(url)
        yield* log.appendEncoded(stream("other"), "any", [encoded(9)])
        const result = yield* log.appendEncoded(stream("s"), "no_stream", batch)
        const again = yield* log.appendEncoded(stream("s"), "no_stream", batch)
        assert.deepStrictEqual(again.positions, result.positions)
        assert.isFalse(again.written)
        return result
      }))
      assert.deepStrictEqual(first.positions.map(Number), [2, 3, 4])

      const { log, sql } = yield* openPgLog(url)
      const retried = yield* log.appendEncoded(stream("s"), "any", batch)
      assert.deepStrictEqual(retried.positions, first.positions)
      assert.strictEqual(retried.streamVersion, 3)
      assert.isFalse(retried.written)

      const stored = yield* sql<{ readonly data: string }>`SELECT data::text AS data FROM tau_events WHERE event_id = 'tricky'`
      assert.strictEqual(stored[0]!.data, tricky.data)
      assert.deepStrictEqual((yield* log.readAllRaw(3, 1))[0]!.data, JSON.parse(tricky.data))

      // Same JSON value, different text: the stored text is the identity, so this is a conflict.
      const reordered = { ...encoded(1, eventId("e-1")), data: JSON.stringify({ n: 1 }).replace(":", ": ") }
      const differs = yield* Effect.flip(log.appendEncoded(stream("s"), "any", [reordered]))
      assert.strictEqual(differs._tag, "EventIdConflict")
      if (differs._tag === "EventIdConflict") assert.strictEqual(differs.reason, "content-differs")

      const partial = yield* Effect.flip(log.appendEncoded(stream("s"), "any", [encoded(1, eventId("e-1")), encoded(7)]))
      assert.strictEqual(partial._tag, "EventIdConflict")
      const elsewhere = yield* Effect.flip(log.appendEncoded(stream("t"), "any", [encoded(1, eventId("e-1"))]))
      assert.strictEqual(elsewhere._tag, "EventIdConflict")
      assert.strictEqual(yield* log.head, 4)
    }).pipe(Effect.scoped))

  it.live("group commit: concurrent callers each get their own result, positions stay gap-free", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      yield* log.appendEncoded(stream("contended"), "no_stream", [encoded(0)])
      // 150 callers: 100 on their own streams, 50 racing for version 1 of one stream (exactly one wins).
      const results = yield* Effect.all(
        [
          ...range(1, 100).map((i) => log.appendEncoded(stream(`own-${i}`), "no_stream", [encoded(i), encoded(i)])),
          ...range(1, 50).map((i) => log.appendEncoded(stream("contended"), v(1), [encoded(1000 + i)]))
        ].map(Effect.either),
        { concurrency: "unbounded" }
      )
      const own = results.slice(0, 100)
      const racing = results.slice(100)
      assert.isTrue(own.every(Either.isRight))
      assert.strictEqual(racing.filter(Either.isRight).length, 1)
      for (const r of racing.filter(Either.isLeft)) assert.strictEqual(r.left._tag, "StreamVersionConflict")
      const all = yield* log.readAllRaw(1, 1000)
      assert.deepStrictEqual(positions(all), range(1, 202))
      const acknowledged = results.flatMap((r) => Either.isRight(r) ? r.right.positions.map(Number) : [])
      assert.deepStrictEqual(acknowledged.sort((a, b) => a - b), range(2, 202))
    }).pipe(Effect.scoped))

  it.live("a large append is one batch with consecutive positions", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const events = range(1, 5000).map((i) => encoded(i))
      const result = yield* log.appendEncoded(stream("big"), "no_stream", events)
      assert.deepStrictEqual(result.positions.map(Number), range(1, 5000))
      assert.strictEqual(result.streamVersion, 5000)
      const page = yield* log.readAllRaw(4990, 100)
      assert.deepStrictEqual(page.map((e) => e.data), range(4990, 5000).map((n) => ({ n })))
    }).pipe(Effect.scoped))

  it.live("stats: events, streams, head, bytes, per-type counts", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const empty = yield* log.stats
      assert.deepStrictEqual([empty.events, empty.streams, empty.head, empty.byType.length], [0, 0, 0, 0])
      yield* log.appendEncoded(stream("a"), "any", [encoded(1), encoded(2), { ...encoded(3), type: "Other" }])
      yield* log.appendEncoded(stream("b"), "any", [encoded(4)])
      const stats = yield* log.stats
      assert.deepStrictEqual([stats.events, stats.streams, stats.head], [4, 2, 4])
      assert.isAbove(stats.bytes, 0)
      assert.deepStrictEqual(stats.byType, [{ type: "TestEvent", count: 3 }, { type: "Other", count: 1 }])
    }).pipe(Effect.scoped))

  it.live("NOTIFY on commit wakes a subscriber of another instance (polling effectively off)", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const writer = yield* openPgLog(url)
      const reader = yield* openPgLog(url, { pollInterval: Duration.hours(1) })
      // Two subscribers share one LISTEN; the first one ending must not silence the second.
      const short = yield* Effect.fork(take(reader.log, 1, 1))
      const long = yield* Effect.fork(take(reader.log, 1, 3))
      yield* Effect.sleep("300 millis")
      yield* writer.log.appendEncoded(stream("s"), "any", [encoded(1)])
      const first = yield* Fiber.join(short)
      assert.deepStrictEqual(positions(first), [1])
      yield* Effect.sleep("300 millis")
      yield* writer.log.appendEncoded(stream("s"), "any", [encoded(2)])
      yield* Effect.sleep("200 millis")
      yield* writer.log.appendEncoded(stream("s"), "any", [encoded(3)])
      const rest = yield* Fiber.join(long)
      assert.deepStrictEqual(positions(rest), [1, 2, 3])
    }).pipe(Effect.scoped))

  it.live("a lost LISTEN connection degrades to polling, never to missed events", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const writer = yield* openPgLog(url)
      const reader = yield* openPgLog(url, { pollInterval: Duration.millis(100) })
      const subscription = yield* Effect.fork(take(reader.log, 1, 3, "10 seconds"))
      yield* writer.log.appendEncoded(stream("s"), "any", [encoded(1)])
      yield* Effect.sleep("300 millis")
      const killed = yield* writer.sql<{ readonly pid: number }>`SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'LISTEN %'`
      assert.isAbove(killed.length, 0, "found the LISTEN connection")
      yield* writer.log.appendEncoded(stream("s"), "any", [encoded(2), encoded(3)])
      const seen = yield* Fiber.join(subscription)
      assert.deepStrictEqual(positions(seen), [1, 2, 3])
    }).pipe(Effect.scoped))

  it.live("the notification carries the new head and is sent only for committed batches", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const collected = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const client = new pg.Client({ connectionString: url })
          await client.connect()
          const seen: Array<string> = []
          client.on("notification", (m) => seen.push(m.payload ?? ""))
          await client.query("LISTEN tau_events")
          return { client, seen }
        }),
        ({ client }) => Effect.promise(() => client.end())
      )
      yield* log.appendEncoded(stream("s"), "no_stream", [encoded(1), encoded(2)])
      yield* Effect.flip(log.appendEncoded(stream("s"), "no_stream", [encoded(3)]))
      yield* log.appendEncoded(stream("s"), v(2), [encoded(4)])
      yield* Effect.sleep("200 millis")
      assert.deepStrictEqual(collected.seen, ["2", "3"])
    }).pipe(Effect.scoped))

  it.live("a held append lock under lock_timeout is reported as busy, not as a hang", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      yield* Effect.scoped(openPgLog(url)) // migrate
      const name = new URL(url).pathname.slice(1)
      yield* withRawClient(url, (c) => c.query(`ALTER DATABASE ${name} SET lock_timeout = '200ms'`))
      const { log } = yield* openPgLog(url)
      const holder = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const client = new pg.Client({ connectionString: url })
          await client.connect()
          await client.query("BEGIN")
          await client.query("SELECT position FROM tau_log_head WHERE id = 1 FOR UPDATE")
          return client
        }),
        (client) => Effect.promise(() => client.end())
      )
      const error = yield* Effect.flip(log.appendEncoded(stream("s"), "any", [encoded(1)]))
      assert.strictEqual(error._tag, "EventLogError")
      if (error._tag === "EventLogError") {
        assert.strictEqual(error.reason, "busy")
        assert.include(error.message, "55P03")
      }
      yield* Effect.promise(() => holder.query("ROLLBACK"))
      const ok = yield* log.appendEncoded(stream("s"), "any", [encoded(2)])
      assert.deepStrictEqual(ok.positions.map(Number), [1])
    }).pipe(Effect.scoped))

  it.live("data that is not JSON is refused before it reaches the database: the append fails and writes nothing", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const error = yield* Effect.flip(log.appendEncoded(stream("s"), "any", [encoded(1), { ...encoded(2), data: "{not json" }]))
      assert.strictEqual(error._tag, "EventLogError")
      if (error._tag === "EventLogError") assert.strictEqual(error.reason, "invalid")
      assert.strictEqual(yield* log.head, 0)
      assert.deepStrictEqual(yield* log.readAllRaw(1, 10), [])
    }).pipe(Effect.scoped))

  it.live("driver failures become EventLogError with reason storage", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log, sql } = yield* openPgLog(url)
      yield* log.appendEncoded(stream("s"), "any", [encoded(1)])
      yield* sql`ALTER TABLE tau_events RENAME TO tau_events_gone`
      const read = yield* Effect.flip(log.readAllRaw(1, 10))
      assert.strictEqual(read.reason, "storage")
      assert.strictEqual(read.method, "read")
      assert.include(read.message, "42P01")
      const append = yield* Effect.flip(log.appendEncoded(stream("s"), "any", [encoded(2)]))
      assert.strictEqual(append._tag, "EventLogError")
      // The log keeps working once storage is back.
      yield* sql`ALTER TABLE tau_events_gone RENAME TO tau_events`
      const ok = yield* log.appendEncoded(stream("s"), v(1), [encoded(3)])
      assert.deepStrictEqual(ok.positions.map(Number), [2])
    }).pipe(Effect.scoped))
})

describePg("PgEventLog (shared contract)", () => {
  // Each property run creates a database, which is slow on PostgreSQL; pgConcurrency.test.ts runs the
  // interleaving property 40 times across two instances on one database instead.
  eventLogContract("postgres", Effect.map(freshPgDatabase, (url) => () => pgEventLogLayer(url)), { numRuns: 8 })
})
