/**
 * Test worlds for projections: a fresh database per scope (SQLite file or PostgreSQL database) with the event
 * log and projection migrations, and runner layers over it. Building the database layer twice is
 * "close and reopen the process".
 */
import { SqlClient } from "@effect/sql"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"
import { StreamId } from "../../src/domain/Ids.ts"
import type { RecordedEvent } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import * as PgDatabase from "../../src/events/pg/PgDatabase.ts"
import * as PgEventLog from "../../src/events/pg/PgEventLog.ts"
import { pgEventLogMigrations } from "../../src/events/pg/migrations.ts"
import * as SqliteDatabase from "../../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../../src/events/sqlite/migrations.ts"
import { projectionMigrations } from "../../src/projections/migrations.ts"
import type { Projection } from "../../src/projections/Projection.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { RegisteredProjections } from "../../src/projections/projections.ts"
import { streamKind } from "../../src/events/Streams.ts"
import { freshPgDatabase } from "../support/Pg.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"

export type Database = Layer.Layer<EventLog | SqlClient.SqlClient>

export interface Backend {
  readonly name: "sqlite" | "postgres"
  /** A fresh database for the current scope; each build of the returned layer is a new "process". */
  readonly fresh: Effect.Effect<() => Database, never, Scope.Scope>
}

const tuning = { ...defaultEventLogOptions, pollInterval: Duration.millis(20) }

export const sqliteBackend: Backend = {
  name: "sqlite",
  fresh: Effect.map(tempSqliteFile, (filename) => () =>
    SqliteEventLog.layerWith(tuning).pipe(
      Layer.provideMerge(
        SqliteDatabase.layer({
          filename,
          synchronous: "NORMAL",
          migrations: { ...sqliteEventLogMigrations, ...projectionMigrations }
        })
      ),
      Layer.orDie
    ))
}

export const pgBackend: Backend = {
  name: "postgres",
  fresh: Effect.map(freshPgDatabase, (url) => () =>
    PgEventLog.layerWith(tuning).pipe(
      Layer.provideMerge(
        PgDatabase.layer({
          url: Redacted.make(url),
          migrations: { ...pgEventLogMigrations, ...projectionMigrations },
          maxConnections: 4
        })
      ),
      Layer.orDie
    ))
}

export interface RunnerOptions {
  readonly live?: boolean
  readonly pageSize?: number
  /** TAU_PROJECTION_LINGER_MS (the runner's default when absent). */
  readonly lingerMs?: number
}

/** The runner for `projections` over `database`, plus the database's services. */
export const world = (database: Database, projections: ReadonlyArray<Projection>, options: RunnerOptions = {}) =>
  (options.live ? ProjectionRunner.Live : ProjectionRunner.Default).pipe(
    Layer.provide(Layer.succeed(RegisteredProjections, projections)),
    Layer.provide(
      Layer.setConfigProvider(
        ConfigProvider.fromMap(
          new Map([
            ["TAU_PROJECTION_PAGE_SIZE", String(options.pageSize ?? 500)],
            ...(options.lingerMs === undefined ? [] : [["TAU_PROJECTION_LINGER_MS", String(options.lingerMs)] as const])
          ])
        )
      )
    ),
    Layer.provideMerge(database),
    Layer.orDie
  )

export const stream = (name: string): StreamId => StreamId.make(name)

/** Every row of tau_streams, ordered by key, as the driver returns it. */
export const streamsTable = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`SELECT * FROM tau_streams ORDER BY stream_id`
)

export interface ExpectedStream {
  readonly streamId: string
  readonly kind: string
  readonly version: number
  readonly firstPosition: number
  readonly lastPosition: number
  readonly eventCount: number
  readonly lastEventType: string
  readonly lastEventAt: string
}

/** The streams catalogue computed in memory from the log: what the projection must hold. */
export const foldStreams = (events: ReadonlyArray<RecordedEvent>): ReadonlyArray<ExpectedStream> => {
  const byStream = new Map<string, ExpectedStream>()
  for (const e of events) {
    const previous = byStream.get(e.streamId)
    byStream.set(e.streamId, {
      streamId: e.streamId,
      kind: streamKind(e.streamId),
      version: e.streamVersion,
      firstPosition: previous?.firstPosition ?? e.position,
      lastPosition: e.position,
      eventCount: (previous?.eventCount ?? 0) + 1,
      lastEventType: e.type,
      lastEventAt: e.recordedAt.toISOString()
    })
  }
  return [...byStream.values()].sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0))
}

export const readWholeLog = Effect.flatMap(EventLog, (log) => log.readAllRaw(1, 1_000_000))

export const totalEventCount = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ readonly total: number | string | null }>`SELECT SUM(event_count) AS total FROM tau_streams`,
    (rows) => Number(rows[0]?.total ?? 0)
  ))

export const storedCheckpoint = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ readonly version: number | string; readonly position: number | string }>`
        SELECT version, position FROM tau_projection_checkpoints WHERE name = ${name}`,
      (rows) => rows.map((r) => ({ version: Number(r.version), position: Number(r.position) }))[0]
    ))

/** The runner has applied the whole log: live, by waiting for its head; otherwise by a catch-up pass. */
export const caughtUp = (live: boolean) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const runner = yield* ProjectionRunner
    if (live) yield* runner.waitFor(yield* log.head).pipe(Effect.timeout("20 seconds"))
    else yield* runner.catchUp()
  })
