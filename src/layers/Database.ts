/**
 * The database of a Tau process, chosen by configuration: SQLite (a file) or PostgreSQL (a URL). Gives the
 * SqlClient every subsystem shares and the EventLog over it, after every migration of the app has run.
 */
import type { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
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

export const sqlite = (options: { readonly filename: string; readonly synchronous?: SqliteDatabase.Synchronous }) =>
  SqliteEventLog.layer({ filename: options.filename }).pipe(
    Layer.provideMerge(
      SqliteDatabase.layer({ filename: options.filename, synchronous: options.synchronous, migrations: sqliteMigrations })
    )
  )

export const postgres = (options: Pick<PgDatabase.PgDatabaseOptions, "url" | "maxConnections" | "applicationName">) =>
  PgEventLog.layer.pipe(Layer.provideMerge(PgDatabase.layer({ ...options, migrations: pgMigrations })))

/** The backend for a given configuration. */
export const fromConfig = (config: DatabaseConfig): Layer.Layer<SqlClient.SqlClient | EventLog, DatabaseError> =>
  DatabaseConfig.$match(config, {
    Sqlite: ({ filename, synchronous }) => sqlite({ filename, synchronous }),
    Postgres: ({ url }) => postgres({ url })
  })

/** The backend chosen by TAU_DATABASE_URL (and TAU_SQLITE_SYNCHRONOUS). */
export const DatabaseLive = Layer.unwrapEffect(Effect.map(TauConfig, ({ database }) => fromConfig(database)))
