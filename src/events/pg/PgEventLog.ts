/**
 * The event log on PostgreSQL: the shared core (group commit, planning, subscriptions) over PgLogStorage.
 * Needs a migrated database (PgDatabase.layer with pgEventLogMigrations).
 */
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { ConfigError, Scope } from "effect"
import { EventLog } from "../EventLog.ts"
import type { EventLogService } from "../EventLog.ts"
import { makeEventLog } from "../EventLogCore.ts"
import { EventLogOptionsConfig } from "../EventLogOptions.ts"
import type { EventLogOptions } from "../EventLogOptions.ts"
import { makePgLogStorage } from "./PgLogStorage.ts"

export const make = (
  options: EventLogOptions
): Effect.Effect<EventLogService, never, SqlClient.SqlClient | PgClient.PgClient | Scope.Scope> =>
  Effect.flatMap(makePgLogStorage, (storage) => makeEventLog(storage, options))

/** Options from configuration (TAU_GROUP_COMMIT_WINDOW_MS, TAU_LOG_POLL_INTERVAL_MS, …). */
export const layer: Layer.Layer<EventLog, ConfigError.ConfigError, SqlClient.SqlClient | PgClient.PgClient> =
  Layer.scoped(EventLog, Effect.flatMap(EventLogOptionsConfig, make))

export const layerWith = (
  options: EventLogOptions
): Layer.Layer<EventLog, never, SqlClient.SqlClient | PgClient.PgClient> => Layer.scoped(EventLog, make(options))
