/**
 * A PostgreSQL connection pool with Tau's migrations applied before anyone sees the client.
 * Compose once (src/layers): `PgEventLog.layer.pipe(Layer.provideMerge(PgDatabase.layer({ url, migrations })))`.
 */
import { NodeContext } from "@effect/platform-node"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient, PgMigrator } from "@effect/sql-pg"
import { Effect, Layer, Schedule } from "effect"
import type { Duration, Redacted } from "effect"

export interface PgDatabaseOptions {
  readonly url: Redacted.Redacted<string>
  /** Every migration of the app, by global id (`{ ...pgEventLogMigrations, ...projectionMigrations }`). */
  readonly migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>
  readonly maxConnections?: number | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  readonly applicationName?: string | undefined
}

export const layer = (
  options: PgDatabaseOptions
): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, SqlError | PgMigrator.MigrationError> => {
  const client = PgClient.layer({
    url: options.url,
    maxConnections: options.maxConnections,
    connectTimeout: options.connectTimeout,
    applicationName: options.applicationName ?? "tau"
  })
  // Processes starting together on a new database race to create the migrator's bookkeeping table (it does
  // "select, else CREATE TABLE"); the loser fails with a duplicate-table error, and a retry finds the table and
  // waits on its lock instead. Failed migrations themselves are defects and are not retried.
  const migrator = Layer.effectDiscard(
    PgMigrator.run({ loader: PgMigrator.fromRecord(options.migrations) }).pipe(
      Effect.retry({ times: 3, schedule: Schedule.spaced("100 millis"), while: (e) => e._tag === "SqlError" })
    )
  ).pipe(Layer.provide(NodeContext.layer))
  return migrator.pipe(Layer.provideMerge(client))
}
