/**
 * PostgreSQL under real concurrency: several independent log instances (each its own pool, group-commit writer
 * and LISTEN connection, as separate processes would have) appending to one database at once.
 */
import { assert, it } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Either, Exit, FastCheck as fc, Fiber, Layer, Option, Runtime, Stream } from "effect"
import pg from "pg"
import type { Position, StreamVersion } from "../../src/domain/Ids.ts"
import type { EventRow } from "../../src/events/AppendPlan.ts"
import type { AppendResult, ExpectedVersion, RecordedEvent } from "../../src/events/Envelope.ts"
import type { EventLogService } from "../../src/events/EventLog.ts"
import { makePgLogStorage } from "../../src/events/pg/PgLogStorage.ts"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { encoded, openPgLog, pgDatabaseLayer, stream, v } from "../support/pgEventLog.ts"

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)

const readWhole = (log: EventLogService, from = 1) =>
  Effect.gen(function*() {
    const out: Array<RecordedEvent> = []
    while (true) {
      const page = yield* log.readAllRaw(from + out.length, 1000)
      if (page.length === 0) return out
      out.push(...page)
    }
  })

/** Positions 1..k with nothing missing: what every reader snapshot must look like. */
const isPrefix = (positions: ReadonlyArray<number>) => positions.every((p, i) => p === i + 1)

describePg("PgEventLog concurrency", () => {
  it.live("subscribe during 4 concurrent writer instances: the subscriber's sequence equals readAll", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      // The subscriber polls once an hour: every live wake-up it gets must come from LISTEN/NOTIFY.
      const reader = yield* openPgLog(url, { pollInterval: Duration.hours(1) })
      yield* reader.log.appendEncoded(stream("seed"), "no_stream", range(1, 25).map((n) => encoded(n)))
      const writers = yield* Effect.all(range(1, 4).map(() => openPgLog(url)))
      const perWriter = 200

      const total = 25 + 4 * perWriter
      const subscription = yield* reader.log.subscribeRaw(1, { pageSize: 64 }).pipe(
        Stream.take(total),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray),
        Effect.fork
      )
      // Each writer: 4 fibres, batches of 1-4 events, on streams shared by all writers; half the appends
      // use optimistic concurrency (read version, append at it, retry on conflict).
      const writeAll = (log: EventLogService, w: number) =>
        Effect.forEach(range(0, 3), (f) =>
          Effect.gen(function*() {
            let written = 0
            let i = 0
            while (written < perWriter / 4) {
              const size = Math.min(1 + ((w + f + i) % 4), perWriter / 4 - written)
              const s = stream(`shared-${(w * 7 + f * 3 + i) % 6}`)
              const events = range(1, size).map((n) => encoded(w * 1_000_000 + f * 10_000 + i * 10 + n))
              if (i % 2 === 0) {
                yield* log.appendEncoded(s, "any", events)
              } else {
                const version = yield* log.streamVersion(s)
                const r = yield* Effect.either(log.appendEncoded(s, version === 0 ? "no_stream" : version, events))
                if (Either.isLeft(r)) {
                  assert.strictEqual(r.left._tag, "StreamVersionConflict")
                  i++
                  continue
                }
              }
              written += size
              i++
            }
          }), { concurrency: "unbounded", discard: true })
      yield* Effect.all(writers.map(({ log }, w) => writeAll(log, w)), { concurrency: "unbounded", discard: true })

      const seen = yield* Fiber.join(subscription).pipe(Effect.timeoutFail({
        duration: "20 seconds",
        onTimeout: () => new Error("subscriber did not receive every event (LISTEN/NOTIFY wake-ups missing?)")
      }))
      const all = yield* readWhole(reader.log)
      assert.strictEqual(all.length, total)
      assert.isTrue(isPrefix(all.map((e) => e.position)))
      assert.deepStrictEqual(seen.map((e) => e.position), all.map((e) => e.position))
      assert.deepStrictEqual(seen.map((e) => e.eventId), all.map((e) => e.eventId))
      // Every stream's versions are 1..n in position order.
      const versions = new Map<string, Array<number>>()
      for (const e of all) versions.set(e.streamId, [...(versions.get(e.streamId) ?? []), e.streamVersion])
      for (const vs of versions.values()) assert.deepStrictEqual(vs, range(1, vs.length))
    }).pipe(Effect.scoped), 60_000)

  it.live("instances starting together on a new database migrate it once and all come up", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const logs = yield* Effect.all(range(1, 4).map(() => openPgLog(url)), { concurrency: "unbounded" })
      const results = yield* Effect.all(
        logs.map(({ log }, i) => log.appendEncoded(stream(`boot-${i}`), "no_stream", [encoded(i)])),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(results.flatMap((r) => r.positions.map(Number)).sort(), [1, 2, 3, 4])
      const migrations = yield* logs[0]!.sql<{ readonly id: number }>`SELECT migration_id AS id FROM effect_sql_migrations ORDER BY 1`
      assert.deepStrictEqual(migrations.map((m) => m.id), [1, 4, 5, 6])
    }).pipe(Effect.scoped))

  it.live("a reader never passes a lower position that commits later: appends serialise on the head lock", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const reader = yield* openPgLog(url, { pollInterval: Duration.millis(20) })
      const other = yield* openPgLog(url)
      yield* reader.log.appendEncoded(stream("seed"), "no_stream", [encoded(1), encoded(2)])

      // Writer A: a raw append transaction that inserts positions 3..5, then sleeps before committing.
      const context = yield* Layer.build(pgDatabaseLayer(url)).pipe(Effect.orDie)
      const storage = yield* makePgLogStorage.pipe(Effect.provide(context))
      const inserted = yield* Effect.makeLatch(false)
      const slowAppend = storage.appendTransaction((tx) =>
        Effect.gen(function*() {
          const head = yield* tx.head
          const rows: Array<EventRow> = range(1, 3).map((i) => ({
            position: (head + i) as Position,
            ...encoded(100 + i),
            streamId: stream("slow"),
            streamVersion: i as StreamVersion,
            metadata: "{}",
            recordedAt: new Date()
          }))
          yield* tx.insert(rows)
          yield* inserted.open
          yield* Effect.sleep("800 millis")
          return head
        })
      )

      // Every reader snapshot, taken as fast as possible, and a live subscription.
      const snapshots: Array<ReadonlyArray<number>> = []
      const sampler = yield* reader.log.readAllRaw(1, 100).pipe(
        Effect.tap((page) => Effect.sync(() => snapshots.push(page.map((e) => e.position)))),
        Effect.zipRight(Effect.sleep("5 millis")),
        Effect.forever,
        Effect.fork
      )
      const subscription = yield* reader.log.subscribeRaw(1).pipe(Stream.take(8), Stream.runCollect, Effect.fork)

      const slow = yield* Effect.fork(slowAppend)
      yield* inserted.await
      // Writer B (another instance) appends while A's rows are inserted but not committed.
      const fast = yield* Effect.fork(other.log.appendEncoded(stream("fast"), "no_stream", [encoded(201), encoded(202), encoded(203)]))
      yield* Effect.sleep("400 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fast)), "B must wait for A's lock, not commit around it")
      assert.deepStrictEqual(snapshots[snapshots.length - 1], [1, 2], "uncommitted rows are invisible")

      const headBeforeA = yield* Fiber.join(slow)
      const b = yield* Fiber.join(fast)
      assert.strictEqual(headBeforeA, 2)
      assert.deepStrictEqual(b.positions.map(Number), [6, 7, 8], "B numbers after A's committed rows")

      const live = Chunk.toReadonlyArray(yield* Fiber.join(subscription).pipe(Effect.timeout("5 seconds")))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(sampler)
      assert.isAbove(snapshots.length, 10)
      for (const snapshot of snapshots) assert.isTrue(isPrefix(snapshot), `snapshot with a hole: ${snapshot.join(",")}`)
      assert.deepStrictEqual(live.map((e) => e.position), range(1, 8))
      assert.deepStrictEqual(live.map((e) => e.streamId), ["seed", "seed", "slow", "slow", "slow", "fast", "fast", "fast"])
    }).pipe(Effect.scoped))

  it.live("control: a writer that bypasses the head lock does let readers see a hole (what the lock prevents)", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      yield* log.appendEncoded(stream("seed"), "no_stream", [encoded(1)])
      const [a, b] = yield* Effect.all([rawClient(url), rawClient(url)])
      const row = (position: number, id: string) =>
        [position, id, `raw-${id}`, 1, "TestEvent", 1, "{}", "{}", new Date().toISOString()]
      const insert = `INSERT INTO tau_events (position, event_id, stream_id, stream_version, type, schema_version,
        data, metadata, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
      yield* Effect.promise(async () => {
        await a.query("BEGIN")
        await a.query(insert, row(2, "a"))
        await b.query(insert, row(3, "b")) // autocommit: position 3 visible while 2 is not
      })
      const page = yield* log.readAllRaw(1, 10)
      assert.deepStrictEqual(page.map((e) => e.position), [1, 3])
      assert.isFalse(isPrefix(page.map((e) => e.position)))
      yield* Effect.promise(() => a.query("ROLLBACK"))
    }).pipe(Effect.scoped))

  it.live("property: random interleavings across two instances keep one winner per expected version, gap-free", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const instances = yield* Effect.all([openPgLog(url), openPgLog(url)])
      const runtime = yield* Effect.runtime<never>()
      let run = 0

      const Op = fc.record({
        instance: fc.integer({ min: 0, max: 1 }),
        stream: fc.integer({ min: 0, max: 2 }),
        expected: fc.oneof(
          fc.constant<"any">("any"),
          fc.constant<"no_stream">("no_stream"),
          fc.integer({ min: 0, max: 5 })
        ),
        count: fc.integer({ min: 1, max: 3 }),
        delayMs: fc.integer({ min: 0, max: 4 })
      })

      const property = (ops: ReadonlyArray<typeof Op extends fc.Arbitrary<infer T> ? T : never>) =>
        Effect.gen(function*() {
          run++
          const name = (s: number) => stream(`run${run}-s${s}`)
          const start = yield* instances[0]!.log.head
          const outcomes = yield* Effect.all(
            ops.map((op, i) => {
              const expected: ExpectedVersion = typeof op.expected === "number" ? v(op.expected) : op.expected
              const events = range(1, op.count).map((n) => encoded(i * 10 + n))
              return Effect.sleep(Duration.millis(op.delayMs)).pipe(
                Effect.zipRight(instances[op.instance]!.log.appendEncoded(name(op.stream), expected, events)),
                Effect.exit,
                Effect.map((exit) => ({ op, exit }))
              )
            }),
            { concurrency: "unbounded" }
          )
          const all = yield* readWhole(instances[1]!.log, start + 1)
          const acknowledged: Array<number> = []
          for (const s of [0, 1, 2]) {
            const results: Array<{ readonly op: (typeof ops)[number]; readonly result: AppendResult }> = []
            for (const { exit, op } of outcomes) {
              if (op.stream !== s) continue
              if (Exit.isSuccess(exit)) results.push({ op, result: exit.value })
              else assert.strictEqual(Option.getOrThrow(Cause.failureOption(exit.cause))._tag, "StreamVersionConflict")
            }
            // Winners, in commit (position) order, cover versions 1..n exactly once each.
            results.sort((x, y) => x.result.positions[0]! - y.result.positions[0]!)
            let version = 0
            const exactExpected = new Set<number>()
            for (const { op, result } of results) {
              const expected = op.expected === "no_stream" ? 0 : op.expected
              if (expected !== "any") {
                assert.isFalse(exactExpected.has(expected), `two winners at expected version ${expected}`)
                exactExpected.add(expected)
                assert.strictEqual(expected, version)
              }
              version += op.count
              assert.strictEqual(result.streamVersion, version)
              acknowledged.push(...result.positions.map(Number))
            }
            const stored = all.filter((e) => e.streamId === name(s))
            assert.deepStrictEqual(stored.map((e) => e.streamVersion), range(1, version))
          }
          assert.deepStrictEqual(all.map((e) => e.position), range(start + 1, start + all.length))
          assert.deepStrictEqual(acknowledged.sort((x, y) => x - y), all.map((e) => e.position))
        })

      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(Op, { minLength: 1, maxLength: 30 }), (ops) =>
            Runtime.runPromise(runtime)(property(ops)).then(() => true)),
          { numRuns: 40 }
        )
      )
      const stats = yield* instances[0]!.log.stats
      assert.strictEqual(stats.head, stats.events)
    }).pipe(Effect.scoped), 60_000)
})

const rawClient = (url: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.end())
  )
