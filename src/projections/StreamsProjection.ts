/**
 * The `streams` catalogue: one row per stream of the log (kind, version, first and last position, event
 * count, last event type and time).
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import { streamKind } from "../events/Streams.ts"
import type { StreamKind } from "../events/Streams.ts"
import type { Envelope } from "../events/Envelope.ts"
import type { TauEvent } from "../events/TauEvent.ts"
import type { Projection } from "./Projection.ts"
import { forEachBatch } from "./SqlBatches.ts"

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
  apply: (envelope) => upsert([rowOf([envelope])]),
  // A page's events, one row per stream: its last version, position, type and time, and how many there were.
  applyAll: (envelopes) => {
    const byStream = new Map<string, Array<Envelope<TauEvent>>>()
    for (const envelope of envelopes) {
      const run = byStream.get(envelope.streamId)
      if (run === undefined) byStream.set(envelope.streamId, [envelope])
      else run.push(envelope)
    }
    return upsert(Array.from(byStream.values(), rowOf))
  }
}

/** The row one stream's events (in order) make, as if it were new; an existing row keeps its first position. */
const rowOf = (run: ReadonlyArray<Envelope<TauEvent>>) => {
  const first = run[0]!
  const last = run[run.length - 1]!
  return {
    stream_id: first.streamId,
    kind: streamKind(first.streamId),
    version: last.streamVersion,
    first_position: first.position,
    last_position: last.position,
    event_count: run.length,
    last_event_type: last.type,
    last_event_at: last.recordedAt.toISOString()
  }
}

/** A statement per batch of streams (each stream at most once: ON CONFLICT may touch a row only once). */
const upsert = (rows: ReadonlyArray<ReturnType<typeof rowOf>>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    forEachBatch(rows, (batch) =>
      sql`INSERT INTO tau_streams ${sql.insert(batch)}
        ON CONFLICT (stream_id) DO UPDATE SET
          version = excluded.version,
          last_position = excluded.last_position,
          event_count = tau_streams.event_count + excluded.event_count,
          last_event_type = excluded.last_event_type,
          last_event_at = excluded.last_event_at`))
