/**
 * The `api_keys` read model: one row per API key (name, scope, creation, revocation), folded from the
 * `apikey-<id>` streams. It never holds a secret or its hash: authentication reads the key's own stream.
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import { streamKind } from "../events/Streams.ts"
import type { Projection } from "./Projection.ts"

const setup = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.onDialectOrElse({
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ,
        revoke_reason TEXT
      )`,
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        revoke_reason TEXT
      ) WITHOUT ROWID`
  })
  yield* sql`CREATE INDEX IF NOT EXISTS tau_api_keys_created ON tau_api_keys (created_at, key_id)`
})

export const ApiKeysProjection: Projection = {
  name: "api_keys",
  version: 1,
  tables: ["tau_api_keys"],
  handles: ["ApiKeyCreated", "ApiKeyRevoked"],
  setup,
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS tau_api_keys`),
  apply: (envelope) =>
    Effect.gen(function*() {
      if (streamKind(envelope.streamId) !== "apikey") return
      const sql = yield* SqlClient.SqlClient
      const event = envelope.event
      const at = envelope.recordedAt.toISOString()
      switch (event._tag) {
        case "ApiKeyCreated":
          // ApiKeys appends it with "no_stream"; should a second one ever appear, the first wins.
          return yield* sql`INSERT INTO tau_api_keys ${
            sql.insert({
              key_id: event.keyId,
              name: event.name,
              scope: event.scope,
              created_at: at,
              revoked_at: null,
              revoke_reason: null
            })
          } ON CONFLICT (key_id) DO NOTHING`
        case "ApiKeyRevoked":
          // The first revocation counts (its time and reason).
          return yield* sql`UPDATE tau_api_keys SET revoked_at = ${at}, revoke_reason = ${event.reason ?? null}
            WHERE key_id = ${event.keyId} AND revoked_at IS NULL`
        default:
          return
      }
    })
}
