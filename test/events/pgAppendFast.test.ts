/**
 * `tau_append_fast` (migration 0005) against `tau_append` (0004) on the same database state: every random batch
 * is first run through `tau_append` in a transaction that is rolled back, then through `tau_append_fast` for real;
 * the returned rows, the rows written and the head must be identical. The generator mixes fresh ids (the
 * one-statement path) with reused ids and repeated streams (the delegated path), and the test requires both
 * paths, with successes and version conflicts on the fast one.
 */
import { assert, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Data, Effect, Layer } from "effect"
import fc from "fast-check"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { pgDatabaseLayer } from "../support/pgEventLog.ts"

interface Batch {
  readonly streams: ReadonlyArray<string>
  readonly expected: ReadonlyArray<string>
  readonly counts: ReadonlyArray<number>
  readonly ids: ReadonlyArray<string>
  readonly types: ReadonlyArray<string>
  readonly data: ReadonlyArray<string>
}

const requestArb = fc.record({
  stream: fc.integer({ min: 0, max: 5 }),
  expected: fc.oneof(fc.constant("any"), fc.constant("no_stream"), fc.integer({ min: 0, max: 5 }).map(String)),
  events: fc.array(
    fc.record({
      // Mostly fresh ids (replaced by a counter below), some from a small reused pool.
      id: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 9 }) }),
      type: fc.integer({ min: 0, max: 1 }),
      data: fc.integer({ min: 0, max: 1 })
    }),
    { maxLength: 3 }
  )
})

const datas = ["{\"a\":1}", "{ \"a\" : 1 }"]

class Rollback extends Data.TaggedError("Rollback")<{
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  readonly written: ReadonlyArray<ReadonlyArray<unknown>>
}> {}

describePg("tau_append_fast (one-statement append)", () => {
  it.live("property: tau_append_fast returns and writes exactly what tau_append does", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const context = yield* Layer.build(pgDatabaseLayer(url)).pipe(Effect.orDie)
      const sql = yield* SqlClient.SqlClient.pipe(Effect.provide(context))
      const recordedAt = "2025-01-02T03:04:05.678Z"
      let fresh = 0
      const paths = new Set<string>()

      const call = (fn: "tau_append" | "tau_append_fast", b: Batch) =>
        sql`SELECT * FROM ${sql.literal(fn)}(${b.streams}::text[], ${b.expected}::text[], ${b.counts}::int[],
            ${b.ids}::text[], ${b.types}::text[], ${b.ids.map(() => 1)}::int[], ${b.data}::text[],
            ${b.ids.map((id) => JSON.stringify({ id }))}::text[], ${b.ids.map(() => recordedAt)}::timestamptz[])`.values
      const written = (after: number) =>
        sql`SELECT position, event_id, stream_id, stream_version, type, data::text, metadata::text, recorded_at
            FROM tau_events WHERE position > ${after} ORDER BY position`.values
      const head = Effect.map(sql`SELECT position FROM tau_log_head`.values, (rows) => Number(rows[0]![0]))

      const check = (b: Batch) =>
        Effect.gen(function*() {
          const before = yield* head
          const stored = yield* sql`SELECT event_id FROM tau_events WHERE event_id = ANY(${b.ids}::text[])`.values
          const simple = new Set(b.streams).size === b.streams.length && new Set(b.ids).size === b.ids.length &&
            stored.length === 0
          const slow = yield* sql.withTransaction(
            Effect.gen(function*() {
              const rows = yield* call("tau_append", b)
              return yield* new Rollback({ rows, written: yield* written(before) })
            })
          ).pipe(Effect.flip, Effect.map((e) => e._tag === "Rollback" ? e : undefined))
          assert.isDefined(slow)
          const rows = yield* call("tau_append_fast", b)
          assert.deepStrictEqual(rows, slow!.rows)
          assert.deepStrictEqual(yield* written(before), slow!.written)
          for (const row of rows) if (row[0] !== "head") paths.add(`${simple ? "fast" : "delegated"}:${row[0]}`)
        })

      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 5 }), async (requests) => {
            const batch: {
              streams: Array<string>
              expected: Array<string>
              counts: Array<number>
              ids: Array<string>
              types: Array<string>
              data: Array<string>
            } = { streams: [], expected: [], counts: [], ids: [], types: [], data: [] }
            for (const r of requests) {
              batch.streams.push(`s${r.stream}`)
              batch.expected.push(r.expected)
              batch.counts.push(r.events.length)
              for (const e of r.events) {
                batch.ids.push(e.id < 0 ? `f${fresh++}` : `e${e.id}`)
                batch.types.push(e.type === 0 ? "T" : "U")
                batch.data.push(datas[e.data]!)
              }
            }
            await Effect.runPromise(check(batch))
          }),
          { numRuns: 200 }
        )
      )
      for (const path of ["fast:ok", "fast:version", "delegated:ok", "delegated:retry", "delegated:version"]) {
        assert.isTrue(paths.has(path), `never exercised: ${path} (saw ${[...paths].sort().join(", ")})`)
      }
    }).pipe(Effect.scoped), 120_000)
})
