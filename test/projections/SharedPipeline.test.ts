import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Context, Effect, FastCheck as fc, Fiber, Layer, Ref, Schedule } from "effect"
import { Position } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import type { TauEvent, TauEventType } from "../../src/events/TauEvent.ts"
import { ProjectionError } from "../../src/projections/Projection.ts"
import type { Projection } from "../../src/projections/Projection.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { sampleEvent, sampleSessionStarted } from "../support/Events.ts"
import { describePg } from "../support/Pg.ts"
import { pgBackend, sqliteBackend, stream, world } from "./support.ts"
import type { Backend, Database } from "./support.ts"

/**
 * A projection counting, per stream, the events it is given and the last one's position. Its `apply` does not
 * filter by type itself, so an event the runner should have skipped shows up in the counts. With `poison`, it
 * fails (after writing) on the user message with that content.
 */
const tally = (name: string, handles?: ReadonlyArray<TauEventType>, poison?: string): Projection => ({
  name,
  version: 1,
  tables: [`t_${name}`],
  ...(handles === undefined ? {} : { handles }),
  setup: Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`CREATE TABLE IF NOT EXISTS ${sql(`t_${name}`)} (
      stream_id TEXT PRIMARY KEY, n INTEGER NOT NULL, last_position INTEGER NOT NULL)`),
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS ${sql(`t_${name}`)}`),
  apply: (envelope) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO ${sql(`t_${name}`)} (stream_id, n, last_position)
        VALUES (${envelope.streamId}, 1, ${envelope.position})
        ON CONFLICT (stream_id) DO UPDATE SET n = ${sql(`t_${name}`)}.n + 1, last_position = excluded.last_position`
      if (isPoison(envelope.event, poison)) {
        return yield* new ProjectionError({ projection: name, message: "refusing poison" })
      }
    })
})

const isPoison = (event: TauEvent, poison: string | undefined) =>
  poison !== undefined && event._tag === "UserMessageReceived" && event.content === poison

interface Row {
  readonly stream_id: string
  readonly n: number
  readonly last_position: number
}

const table = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ readonly stream_id: string; readonly n: number | string; readonly last_position: number | string }>`
        SELECT stream_id, n, last_position FROM ${sql(`t_${name}`)} ORDER BY stream_id`,
      (rows) => rows.map((r): Row => ({ stream_id: r.stream_id, n: Number(r.n), last_position: Number(r.last_position) }))
    ))

/** What `projection` must hold: a fold of the whole log over the types it handles, without its poison. */
const fold = (projection: Projection, poison: string | undefined) =>
  Effect.gen(function*() {
    const events = yield* (yield* EventLog).readAll(1, 1_000_000)
    const rows = new Map<string, Row>()
    for (const e of events) {
      if (projection.handles !== undefined && !projection.handles.includes(e.event._tag)) continue
      if (isPoison(e.event, poison)) continue
      rows.set(e.streamId, { stream_id: e.streamId, n: (rows.get(e.streamId)?.n ?? 0) + 1, last_position: e.position })
    }
    return [...rows.values()].sort((a, b) => (a.stream_id < b.stream_id ? -1 : a.stream_id > b.stream_id ? 1 : 0))
  })

const streamIds = ["session-a", "session-b", "memory-m1", "cortex", "misc-1"]

const within = <A, E, R>(self: Effect.Effect<A, E, R>, what = "projections") =>
  Effect.timeoutFail(self, { duration: "20 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) })

const suite = (backend: Backend, numRuns: number) => {
  it.scopedLive.prop(
    "projections sharing the live pipeline (handles, a poison, one rebuilt, one joining late) equal a rebuild",
    {
      appends: fc.array(
        fc.record({
          streamId: fc.constantFrom(...streamIds),
          kinds: fc.array(fc.constantFrom("message", "start"), { minLength: 1, maxLength: 4 })
        }),
        { minLength: 3, maxLength: 24 }
      ),
      pageSize: fc.integer({ min: 1, max: 10 }),
      poisonAt: fc.nat(),
      rebuilt: fc.integer({ min: 0, max: 3 }),
      late: fc.integer({ min: 0, max: 3 })
    },
    ({ appends, late, pageSize, poisonAt, rebuilt }) =>
      Effect.gen(function*() {
        const poison = `message ${(poisonAt % appends.length) * 10}`
        const projections = [
          tally("all"),
          tally("messages", ["UserMessageReceived"]),
          tally("starts", ["SessionStarted"]),
          tally("poisoned", ["UserMessageReceived", "SessionStarted"], poison)
        ]
        const poisonOf = (p: Projection) => (p.name === "poisoned" ? poison : undefined)
        const database = yield* backend.fresh
        yield* Effect.gen(function*() {
          const log = yield* EventLog
          const runner = yield* ProjectionRunner
          const append = (from: number, to: number) =>
            Effect.forEach(
              appends.slice(from, to),
              ({ kinds, streamId }, j) =>
                // Spread out, so the pipeline moves on while a projection drains before joining.
                Effect.zipRight(
                  Effect.sleep("2 millis"),
                  log.append(
                    stream(streamId),
                    "any",
                    kinds.map((kind, k) => kind === "start" ? sampleSessionStarted() : sampleEvent((from + j) * 10 + k))
                  )
                ),
              { concurrency: 2, discard: true }
            )
          const third = Math.ceil(appends.length / 3)

          for (const [i, p] of projections.entries()) if (i !== late) yield* runner.startLive(p.name)
          yield* append(0, third)
          const rebuilding = yield* Effect.fork(runner.rebuild(projections[rebuilt]!.name))
          yield* append(third, 2 * third)
          yield* Fiber.join(rebuilding)
          yield* runner.startLive(projections[late]!.name)
          yield* append(2 * third, appends.length)

          const head = yield* log.head
          yield* within(runner.waitFor(head))
          const live = yield* Effect.forEach(projections, (p) => table(p.name))
          for (const [i, p] of projections.entries()) {
            assert.deepStrictEqual(live[i], yield* fold(p, poisonOf(p)), p.name)
          }
          const letters = yield* runner.deadLetters()
          const poisoned = (yield* log.readAll(1, 1_000_000)).filter((e) => isPoison(e.event, poison))
          assert.deepStrictEqual(
            letters.map((l) => [l.name, l.position]),
            poisoned.map((e) => ["poisoned", e.position])
          )
          for (const status of yield* runner.status()) assert.strictEqual(status.position, head, status.name)
          // A join sets "live" just after its last fill, which waitFor may see first.
          yield* within(Effect.repeat(runner.status(), {
            until: (all) => all.every((s) => s.state === "live"),
            schedule: Schedule.spaced("10 millis")
          }))

          yield* runner.rebuild()
          assert.deepStrictEqual(yield* Effect.forEach(projections, (p) => table(p.name)), live)
          assert.deepStrictEqual(
            (yield* runner.deadLetters()).map((l) => [l.name, l.position]),
            letters.map((l) => [l.name, l.position])
          )
        }).pipe(Effect.provide(world(database(), projections, { pageSize })))
      }),
    { timeout: 120_000, fastCheck: { numRuns } }
  )

  const appendMessages = (count: number, from: number) =>
    Effect.flatMap(EventLog, (log) =>
      Effect.forEach(Array.from({ length: count }, (_, i) => from + i), (i) =>
        log.append(stream(streamIds[i % streamIds.length]!), "any", [sampleEvent(i)]), { discard: true }))

  it.scopedLive("a projection joining while the pipeline is ahead of its drain fills the gap before it joins", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      // The runner's view of the head is capped, so a joining projection drains to the cap only.
      const cap = yield* Ref.make(Number.MAX_SAFE_INTEGER)
      const capped: Database = Layer.effectContext(Effect.gen(function*() {
        const log = yield* EventLog
        const sql = yield* SqlClient.SqlClient
        const head = Effect.zipWith(log.head, Ref.get(cap), (h, c) => Position.make(Math.min(h, c)))
        return Context.make(EventLog, { ...log, head }).pipe(Context.add(SqlClient.SqlClient, sql))
      })).pipe(Layer.provide(database()))
      const projections = [tally("all"), tally("late")]
      yield* Effect.gen(function*() {
        const runner = yield* ProjectionRunner
        yield* runner.startLive("all")
        yield* appendMessages(5, 0)
        yield* within(runner.waitFor(5, "all"))
        yield* Ref.set(cap, 5)
        yield* appendMessages(5, 5)
        yield* within(runner.waitFor(10, "all"))
        // "late" drains to 5 while the pipeline is at 10.
        yield* runner.startLive("late")
        yield* within(runner.waitFor(10, "late"))
        yield* appendMessages(1, 10)
        yield* within(runner.waitFor(11))
        for (const p of projections) assert.deepStrictEqual(yield* table(p.name), yield* fold(p, undefined), p.name)
      }).pipe(Effect.provide(world(capped, projections, { pageSize: 2 })))
    }))

  it.scopedLive("the pipeline lets commits gather for its linger, and a caller waiting for a position cuts it short", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const projections = [tally("gathered")]
      yield* Effect.gen(function*() {
        const runner = yield* ProjectionRunner
        // The linger applies once caught up: one event applied (the waiter cuts its linger short), then idle.
        yield* appendMessages(1, 0)
        yield* runner.catchUp("gathered")
        const first = yield* table("gathered")
        yield* Effect.sleep("100 millis")
        yield* appendMessages(3, 1)
        // Nobody waits: 200 ms into a 1 s linger nothing more is applied.
        yield* Effect.sleep("200 millis")
        assert.deepStrictEqual(yield* table("gathered"), first)
        // A waiter does not sit out the linger: the three commits are applied together, well within it.
        const started = Date.now()
        yield* runner.catchUp("gathered")
        assert.isBelow(Date.now() - started, 500)
        assert.deepStrictEqual(yield* table("gathered"), yield* fold(projections[0]!, undefined))
      }).pipe(Effect.provide(world(database(), projections, { live: true, lingerMs: 1_000 })))
    }))

  it.scopedLive("a checkpoint moved by another processor re-prepares that projection only", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const applied = yield* Ref.make(0)
      const plain = tally("steady")
      const steady: Projection = {
        ...plain,
        apply: (envelope) => Effect.zipRight(Ref.update(applied, (n) => n + 1), plain.apply(envelope))
      }
      const moved = tally("moved")
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const runner = yield* ProjectionRunner
        yield* appendMessages(6, 0)
        yield* within(runner.waitFor(6), "position 6")
        // Another process ran a different version of "moved": this one must rebuild it, and leave "steady" alone.
        yield* sql`UPDATE tau_projection_checkpoints SET version = 7 WHERE name = 'moved'`
        yield* appendMessages(4, 6)
        yield* within(Effect.repeat(table("moved"), {
          until: (rows) => rows.reduce((n, r) => n + r.n, 0) === 10,
          schedule: Schedule.spaced("20 millis")
        }), "the moved table")
        yield* within(runner.waitFor(10), "position 10")
        assert.deepStrictEqual(yield* table("moved"), yield* fold(moved, undefined))
        assert.deepStrictEqual(yield* table("steady"), yield* fold(steady, undefined))
        assert.strictEqual(yield* Ref.get(applied), 10)
        yield* within(Effect.repeat(runner.status(), {
          until: (all) => all.every((s) => s.state === "live"),
          schedule: Schedule.spaced("10 millis")
        }))
        const status = yield* runner.status()
        assert.deepStrictEqual(status.map((s) => [s.name, s.position, s.state]), [["steady", 10, "live"], ["moved", 10, "live"]])
      }).pipe(Effect.provide(world(database(), [steady, moved], { live: true, pageSize: 3 })))
    }))
}

describe("shared live pipeline [sqlite]", () => suite(sqliteBackend, 20))
describePg("shared live pipeline", () => {
  suite(pgBackend, 6)

  it.scopedLive("two processes running the same group on one database still apply each event once", () =>
    Effect.gen(function*() {
      const database = yield* pgBackend.fresh
      const projections = [tally("all"), tally("messages", ["UserMessageReceived"]), tally("starts", ["SessionStarted"])]
      const [first, second] = yield* Effect.all([
        Layer.build(world(database(), projections, { live: true, pageSize: 7 })),
        Layer.build(world(database(), [...projections].reverse(), { live: true, pageSize: 5 }))
      ], { concurrency: 2 })
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* Effect.all(
          [0, 1, 2, 3].map((w) =>
            Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) =>
              log.append(stream(streamIds[(w + i) % streamIds.length]!), "any", [
                i % 3 === 0 ? sampleSessionStarted() : sampleEvent(w * 1000 + i)
              ]), { discard: true })
          ),
          { concurrency: "unbounded" }
        )
      }).pipe(Effect.provide(first))
      yield* Effect.gen(function*() {
        const head = yield* (yield* EventLog).head
        const sql = yield* SqlClient.SqlClient
        yield* within(Effect.repeat(
          sql<{ readonly position: number | string }>`SELECT position FROM tau_projection_checkpoints`,
          { until: (rows) => rows.length === 3 && rows.every((r) => Number(r.position) === head), schedule: Schedule.spaced("50 millis") }
        ))
        for (const p of projections) assert.deepStrictEqual(yield* table(p.name), yield* fold(p, undefined), p.name)
      }).pipe(Effect.provide(second))
    }))
})
