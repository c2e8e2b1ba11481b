/**
 * SQL of the runner's own tables (created by migration 0002): checkpoints and dead letters.
 * Every function runs in the caller's transaction when there is one.
 */
import { Clock, Effect, Option, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import type { RecordedEvent } from "../events/Envelope.ts"
import { DeadLetter } from "./Projection.ts"
import { SqlInt, SqlTimestamp } from "./SqlValues.ts"

export interface Checkpoint {
  readonly name: string
  readonly version: number
  readonly position: number
}

const CheckpointRow = Schema.Struct({ name: Schema.String, version: SqlInt, position: SqlInt })
const decodeCheckpoints = Schema.decodeUnknown(Schema.Array(CheckpointRow))

const DeadLetterRow = Schema.Struct({
  name: Schema.String,
  position: SqlInt,
  event_id: Schema.String,
  type: Schema.String,
  error: Schema.String,
  recorded_at: SqlTimestamp
})
const decodeDeadLetters = Schema.decodeUnknown(Schema.Array(DeadLetterRow))

const CountRow = Schema.Struct({ name: Schema.String, count: SqlInt })
const decodeCounts = Schema.decodeUnknown(Schema.Array(CountRow))

/**
 * The checkpoints of `names`, locked until the transaction ends (row locks on PostgreSQL, taken in name order so
 * two processes locking overlapping groups cannot deadlock; the write lock on SQLite). Missing rows are absent.
 */
export const lockCheckpoints = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql.onDialectOrElse({
      pg: () =>
        sql`SELECT name, version, position FROM tau_projection_checkpoints WHERE ${sql.in("name", names)}
          ORDER BY name FOR UPDATE`,
      // A write first takes SQLite's write lock before any snapshot is read, so another process's concurrent
      // writer makes us wait (busy_timeout) instead of failing later with BUSY_SNAPSHOT.
      orElse: () =>
        Effect.zipRight(
          sql`DELETE FROM tau_projection_checkpoints WHERE 0`,
          sql`SELECT name, version, position FROM tau_projection_checkpoints WHERE ${sql.in("name", names)}`
        )
    })
    const decoded = yield* Effect.orDie(decodeCheckpoints(rows))
    return new Map(decoded.map((c): [string, Checkpoint] => [c.name, c]))
  })

/** The checkpoint of `name`, locked until the transaction ends. */
export const lockCheckpoint = (name: string) =>
  Effect.map(lockCheckpoints([name]), (found) => Option.fromNullable(found.get(name)))

/**
 * Serialises resets of `name` across processes, also when it has no checkpoint row yet (which `FOR UPDATE`
 * cannot lock): two PostgreSQL processes creating the same tables at once would otherwise collide.
 */
export const lockProjection = (name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({
      pg: () => sql`SELECT pg_advisory_xact_lock(hashtext(${`tau_projection:${name}`}))`,
      orElse: () => Effect.void
    })
    return yield* lockCheckpoint(name)
  })

export const allCheckpoints = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`SELECT name, version, position FROM tau_projection_checkpoints`
  const decoded = yield* Effect.orDie(decodeCheckpoints(rows))
  return new Map(decoded.map((c): [string, Checkpoint] => [c.name, c]))
})

/** Upserts every checkpoint of `checkpoints` in one statement. */
export const writeCheckpoints = (checkpoints: ReadonlyArray<Checkpoint>) =>
  Effect.gen(function*() {
    if (checkpoints.length === 0) return
    const sql = yield* SqlClient.SqlClient
    const now = new Date(yield* Clock.currentTimeMillis).toISOString()
    const rows = checkpoints.map((c) => ({ name: c.name, version: c.version, position: c.position, updated_at: now }))
    yield* sql`INSERT INTO tau_projection_checkpoints ${sql.insert(rows)}
      ON CONFLICT (name) DO UPDATE SET
        version = excluded.version, position = excluded.position, updated_at = excluded.updated_at`
  })

export const writeCheckpoint = (checkpoint: Checkpoint) => writeCheckpoints([checkpoint])

export const recordDeadLetter = (name: string, row: RecordedEvent, error: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = new Date(yield* Clock.currentTimeMillis).toISOString()
    yield* sql`INSERT INTO tau_projection_dead_letters (name, position, event_id, type, error, recorded_at)
      VALUES (${name}, ${row.position}, ${row.eventId}, ${row.type}, ${error}, ${now})
      ON CONFLICT (name, position) DO UPDATE SET error = excluded.error, recorded_at = excluded.recorded_at`
  })

export const clearDeadLetters = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DELETE FROM tau_projection_dead_letters WHERE name = ${name}`)

export const deadLetterCounts = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql`SELECT name, COUNT(*) AS count FROM tau_projection_dead_letters GROUP BY name`
  const decoded = yield* Effect.orDie(decodeCounts(rows))
  return new Map(decoded.map((r): [string, number] => [r.name, r.count]))
})

export const listDeadLetters = (name: string | undefined) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* (name === undefined
      ? sql`SELECT * FROM tau_projection_dead_letters ORDER BY name, position`
      : sql`SELECT * FROM tau_projection_dead_letters WHERE name = ${name} ORDER BY position`)
    const decoded = yield* Effect.orDie(decodeDeadLetters(rows))
    return decoded.map((r) =>
      new DeadLetter({
        name: r.name,
        position: r.position,
        eventId: r.event_id,
        type: r.type,
        error: r.error,
        recordedAt: r.recorded_at
      })
    )
  })
