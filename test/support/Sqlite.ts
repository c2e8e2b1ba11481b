/**
 * SQLite test support: temp database files that disappear with the test's scope, and the event log layer over
 * them (each build of the layer opens fresh connections, so building it twice is "close and reopen").
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Layer } from "effect"
import type { Scope } from "effect"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import type { EventLogOptions } from "../../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../../src/events/sqlite/migrations.ts"

/** A path to a not-yet-existing database file in a fresh temp directory, removed on scope close. */
export const tempSqliteFile: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "tau-sqlite-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => join(dir, "tau.db")))

export const sqliteDatabaseLayer = (
  filename: string,
  synchronous: SqliteDatabase.Synchronous = "FULL",
  flush: SqliteDatabase.Flush = "commit"
) => SqliteDatabase.layer({ filename, synchronous, flush, migrations: sqliteEventLogMigrations })

/** EventLog + SqlClient on `filename`, fast polling so cross-connection tests stay quick. */
export const sqliteEventLogLayer = (
  filename: string,
  tuning: Partial<EventLogOptions> = {},
  flush: SqliteDatabase.Flush = "commit"
) =>
  SqliteEventLog.layerWith({ ...defaultEventLogOptions, pollInterval: Duration.millis(20), ...tuning }).pipe(
    Layer.provideMerge(sqliteDatabaseLayer(filename, "FULL", flush))
  )
