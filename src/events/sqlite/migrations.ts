/**
 * SQLite schema of the event log. Migration ids are global and ordered across Tau (0001 = event log; later
 * subsystems add their own entries in their own files). An applied migration is never edited.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const eventLog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // position is the rowid: assigned by the writer inside its transaction, never by AUTOINCREMENT.
  yield* sql`
    CREATE TABLE tau_events (
      position INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL UNIQUE,
      stream_id TEXT NOT NULL,
      stream_version INTEGER NOT NULL,
      type TEXT NOT NULL,
      schema_version INTEGER NOT NULL,
      data TEXT NOT NULL,
      metadata TEXT NOT NULL,
      recorded_at INTEGER NOT NULL,
      UNIQUE (stream_id, stream_version)
    )`
})

export const sqliteEventLogMigrations = {
  "0001_event_log": eventLog
} as const
