/**
 * The EventLog on SQLite: the shared core (group commit, planning, subscriptions) over SqliteLogStorage.
 * Needs the process's SqliteDatabase layer (writer client, migrated with sqliteEventLogMigrations).
 */
import type { SqlClient } from "@effect/sql"
import type { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer } from "effect"
import type { ConfigError } from "effect"
import { EventLog } from "../EventLog.ts"
import { makeEventLog } from "../EventLogCore.ts"
import { EventLogOptionsConfig } from "../EventLogOptions.ts"
import type { EventLogOptions } from "../EventLogOptions.ts"
import * as SqliteLogStorage from "./SqliteLogStorage.ts"

export interface SqliteEventLogOptions {
  /** Defaults to the SqliteClient's file. */
  readonly filename?: string | undefined
}

export const make = (tuning: EventLogOptions, options?: SqliteEventLogOptions) =>
  Effect.flatMap(SqliteLogStorage.make(options), (storage) => makeEventLog(storage, tuning))

/** Tuning from configuration (TAU_GROUP_COMMIT_WINDOW_MS, …). */
export const layer = (
  options?: SqliteEventLogOptions
): Layer.Layer<EventLog, ConfigError.ConfigError, SqlClient.SqlClient | SqliteClient.SqliteClient> =>
  Layer.scoped(EventLog, Effect.flatMap(EventLogOptionsConfig, (tuning) => make(tuning, options)))

/** With explicit tuning, for tests and benchmarks. */
export const layerWith = (
  tuning: EventLogOptions,
  options?: SqliteEventLogOptions
): Layer.Layer<EventLog, never, SqlClient.SqlClient | SqliteClient.SqliteClient> =>
  Layer.scoped(EventLog, make(tuning, options))
