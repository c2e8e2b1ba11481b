/**
 * Infrastructure tables of the projection runner: one checkpoint per projection and its dead letters.
 * Migration ids are global and ordered across the app (0001 is the event log).
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"

const projectionRunner = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.onDialectOrElse({
    pg: () =>
      Effect.all([
        sql`CREATE TABLE IF NOT EXISTS tau_projection_checkpoints (
          name TEXT PRIMARY KEY,
          version INTEGER NOT NULL,
          position BIGINT NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL
        )`,
        sql`CREATE TABLE IF NOT EXISTS tau_projection_dead_letters (
          name TEXT NOT NULL,
          position BIGINT NOT NULL,
          event_id TEXT NOT NULL,
          type TEXT NOT NULL,
          error TEXT NOT NULL,
          recorded_at TIMESTAMPTZ NOT NULL,
          PRIMARY KEY (name, position)
        )`
      ], { discard: true }),
    orElse: () =>
      Effect.all([
        sql`CREATE TABLE IF NOT EXISTS tau_projection_checkpoints (
          name TEXT PRIMARY KEY,
          version INTEGER NOT NULL,
          position INTEGER NOT NULL,
          updated_at TEXT NOT NULL
        )`,
        sql`CREATE TABLE IF NOT EXISTS tau_projection_dead_letters (
          name TEXT NOT NULL,
          position INTEGER NOT NULL,
          event_id TEXT NOT NULL,
          type TEXT NOT NULL,
          error TEXT NOT NULL,
          recorded_at TEXT NOT NULL,
          PRIMARY KEY (name, position)
        ) WITHOUT ROWID`
      ], { discard: true })
  })
})

export const projectionMigrations = {
  "0002_projection_runner": projectionRunner
} as const
