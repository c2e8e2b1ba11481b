/**
 * The `streams` catalogue: one row per stream of the log (kind, version, first and last position, event
 * count, last event type and time).
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import { streamKind } from "../events/Streams.ts"
import type { StreamKind } from "../events/Streams.ts"
import type { Projection } from "./Projection.ts"

/** Every stream kind, for schemas of the read side. */
export const streamKinds = [
  "session",
  "memory",
  "reward",
  "cortex",
  "prompt",
  "experiment",
  "trainer",
  "apikey",
  "audit",
  "other"
] as const satisfies ReadonlyArray<StreamKind>

export const StreamsProjection: Projection = {
  name: "streams",
  version: 1,
  tables: ["tau_streams"],
  setup: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.onDialectOrElse({
      pg: () =>
        sql`CREATE TABLE IF NOT EXISTS tau_streams (
          stream_id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          version BIGINT NOT NULL,
          first_position BIGINT NOT NULL,
          last_position BIGINT NOT NULL,
          event_count BIGINT NOT NULL,
          last_event_type TEXT NOT NULL,
          last_event_at TIMESTAMPTZ NOT NULL
        )`,
      orElse: () =>
        sql`CREATE TABLE IF NOT EXISTS tau_streams (
          stream_id TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          version INTEGER NOT NULL,
          first_position INTEGER NOT NULL,
          last_position INTEGER NOT NULL,
          event_count INTEGER NOT NULL,
          last_event_type TEXT NOT NULL,
          last_event_at TEXT NOT NULL
        ) WITHOUT ROWID`
    })
    yield* sql`CREATE INDEX IF NOT EXISTS tau_streams_kind ON tau_streams (kind, stream_id)`
  }),
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS tau_streams`),
  apply: (envelope) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql`INSERT INTO tau_streams
        (stream_id, kind, version, first_position, last_position, event_count, last_event_type, last_event_at)
        VALUES (${envelope.streamId}, ${streamKind(envelope.streamId)}, ${envelope.streamVersion},
          ${envelope.position}, ${envelope.position}, 1, ${envelope.type}, ${envelope.recordedAt.toISOString()})
        ON CONFLICT (stream_id) DO UPDATE SET
          version = excluded.version,
          last_position = excluded.last_position,
          event_count = tau_streams.event_count + 1,
          last_event_type = excluded.last_event_type,
          last_event_at = excluded.last_event_at`)
}
