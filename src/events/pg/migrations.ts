/**
 * PostgreSQL schema of the event log. Migration ids are global across Tau (the projection runner adds
 * 0002…), and an applied migration is never edited.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

const eventLog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // `json` (not jsonb) keeps the exact text the writer sent, so an idempotent retry is a byte comparison, while
  // the server still validates it and `data->>'field'` works for ad-hoc queries.
  yield* sql`CREATE TABLE tau_events (
    position BIGINT PRIMARY KEY CHECK (position > 0),
    event_id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL CHECK (stream_version > 0),
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSON NOT NULL,
    metadata JSON NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    UNIQUE (stream_id, stream_version)
  )`
  // One row: the append lock (taken FOR UPDATE first in every append transaction) and the committed head.
  yield* sql`CREATE TABLE tau_log_head (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    position BIGINT NOT NULL
  )`
  yield* sql`INSERT INTO tau_log_head (id, position) VALUES (1, 0)`
})

export const pgEventLogMigrations = {
  "0001_event_log": eventLog
} as const
