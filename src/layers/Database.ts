/**
 * The database of a Tau process, chosen by configuration: SQLite (a file) or PostgreSQL (a URL). Gives the
 * SqlClient every subsystem shares and the EventLog over it, after every migration of the app has run.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import type { EventLog } from "../events/EventLog.ts"
import * as PgDatabase from "../events/pg/PgDatabase.ts"
import * as PgEventLog from "../events/pg/PgEventLog.ts"
import { pgEventLogMigrations } from "../events/pg/migrations.ts"
import * as SqliteDatabase from "../events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../events/sqlite/migrations.ts"
import { projectionMigrations } from "../projections/migrations.ts"
import { DatabaseConfig, TauConfig } from "./Config.ts"

export type DatabaseError =
  | Layer.Layer.Error<ReturnType<typeof sqlite>>
  | Layer.Layer.Error<ReturnType<typeof postgres>>

export const sqliteMigrations = { ...sqliteEventLogMigrations, ...projectionMigrations }
export const pgMigrations = { ...pgEventLogMigrations, ...projectionMigrations }

export const sqlite = (options: {
  readonly filename: string
  readonly synchronous?: SqliteDatabase.Synchronous
  readonly flush?: SqliteDatabase.Flush
}) =>
  SqliteEventLog.layer({ filename: options.filename }).pipe(
    Layer.provideMerge(SqliteDatabase.layer({ ...options, migrations: sqliteMigrations }))
  )

export const postgres = (options: Pick<PgDatabase.PgDatabaseOptions, "url" | "maxConnections" | "applicationName">) =>
  PgEventLog.layer.pipe(Layer.provideMerge(PgDatabase.layer({ ...options, migrations: pgMigrations })))

/** The backend for a given configuration; SQLite's flush, when not configured, is `defaultFlush`. */
export const fromConfig = (
  config: DatabaseConfig,
  defaultFlush: SqliteDatabase.Flush = "commit"
): Layer.Layer<SqlClient.SqlClient | EventLog, DatabaseError> =>
  DatabaseConfig.$match(config, {
    Sqlite: ({ filename, flush, synchronous }) =>
      sqlite({ filename, synchronous, flush: Option.getOrElse(flush, () => defaultFlush) }),
    Postgres: ({ url }) => postgres({ url })
  })

/**
 * The backend chosen by TAU_DATABASE_URL (and TAU_SQLITE_SYNCHRONOUS, TAU_SQLITE_FLUSH); without
 * TAU_SQLITE_FLUSH, SQLite flushes as the provided LogFlushMode says (`tau serve` provides `background`).
 */
export const DatabaseLive = Layer.unwrapEffect(Effect.gen(function*() {
  const { database } = yield* TauConfig
  return fromConfig(database, yield* SqliteDatabase.LogFlushMode)
}))
