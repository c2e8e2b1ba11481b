/**
 * The reward tables, folded from `RewardAssigned` on the `reward-<sessionId>` streams, per evaluator (hash):
 * - `tau_rewards`: one row per session, its latest revision (day = the day of its first reward);
 * - `tau_reward_turns`: one row per completed turn, latest revision;
 * - `tau_reward_dimensions`: one row per session and dimension of its latest revision.
 * A revision lower than the stored one (another evaluator process replaying) changes nothing.
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { streamKind } from "../events/Streams.ts"
import type { Projection } from "./Projection.ts"
import { SqlInt } from "./SqlValues.ts"

const real = (sql: SqlClient.SqlClient) => sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" })
const rowid = (sql: SqlClient.SqlClient) => sql.onDialectOrElse({ pg: () => "", orElse: () => " WITHOUT ROWID" })

const setup = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const r = sql.literal(real(sql))
  const w = sql.literal(rowid(sql))
  yield* sql`CREATE TABLE IF NOT EXISTS tau_rewards (
    session_id TEXT NOT NULL,
    evaluator_hash TEXT NOT NULL,
    evaluator_name TEXT NOT NULL,
    evaluator_version TEXT NOT NULL,
    revision INTEGER NOT NULL,
    composite ${r} NOT NULL,
    confidence ${r} NOT NULL,
    dimensions TEXT NOT NULL,
    category TEXT NOT NULL,
    prompt_name TEXT,
    prompt_version TEXT,
    day TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, evaluator_hash)
  )${w}`
  yield* sql`CREATE INDEX IF NOT EXISTS tau_rewards_day ON tau_rewards (evaluator_hash, day)`
  yield* sql`CREATE TABLE IF NOT EXISTS tau_reward_turns (
    session_id TEXT NOT NULL,
    evaluator_hash TEXT NOT NULL,
    turn INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    composite ${r} NOT NULL,
    confidence ${r} NOT NULL,
    dimensions TEXT NOT NULL,
    PRIMARY KEY (session_id, evaluator_hash, turn)
  )${w}`
  yield* sql`CREATE TABLE IF NOT EXISTS tau_reward_dimensions (
    session_id TEXT NOT NULL,
    evaluator_hash TEXT NOT NULL,
    dimension TEXT NOT NULL,
    score ${r} NOT NULL,
    PRIMARY KEY (session_id, evaluator_hash, dimension)
  )${w}`
})

const tables = ["tau_rewards", "tau_reward_turns", "tau_reward_dimensions"]

const RevisionRow = Schema.Struct({ revision: SqlInt })
const decodeRevision = Schema.decodeUnknown(Schema.Array(RevisionRow))

export const RewardsProjection: Projection = {
  name: "rewards",
  version: 1,
  tables,
  handles: ["RewardAssigned"],
  setup,
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(tables, (t) => sql`DROP TABLE IF EXISTS ${sql(t)}`, { discard: true })),
  apply: (envelope) =>
    Effect.gen(function*() {
      const event = envelope.event
      if (event._tag !== "RewardAssigned" || streamKind(envelope.streamId) !== "reward") return
      const sql = yield* SqlClient.SqlClient
      const hash = event.evaluator.hash
      const dimensions = JSON.stringify(event.dimensions)
      if (event.turn !== undefined) {
        return yield* sql`INSERT INTO tau_reward_turns ${
          sql.insert({
            session_id: event.sessionId,
            evaluator_hash: hash,
            turn: event.turn,
            revision: event.revision,
            composite: event.composite,
            confidence: event.confidence,
            dimensions
          })
        } ON CONFLICT (session_id, evaluator_hash, turn) DO UPDATE SET
          revision = excluded.revision, composite = excluded.composite, confidence = excluded.confidence,
          dimensions = excluded.dimensions
          WHERE excluded.revision >= tau_reward_turns.revision`
      }
      const stored = yield* Effect.orDie(decodeRevision(
        yield* sql`SELECT revision FROM tau_rewards WHERE session_id = ${event.sessionId} AND evaluator_hash = ${hash}`
      ))
      const current = stored[0]?.revision
      if (current !== undefined && current > event.revision) return
      const at = envelope.recordedAt.toISOString()
      yield* sql`INSERT INTO tau_rewards ${
        sql.insert({
          session_id: event.sessionId,
          evaluator_hash: hash,
          evaluator_name: event.evaluator.name,
          evaluator_version: event.evaluator.version,
          revision: event.revision,
          composite: event.composite,
          confidence: event.confidence,
          dimensions,
          category: event.category ?? "other",
          prompt_name: event.promptName ?? null,
          prompt_version: event.promptVersion ?? null,
          day: at.slice(0, 10),
          updated_at: at
        })
      } ON CONFLICT (session_id, evaluator_hash) DO UPDATE SET
        revision = excluded.revision, composite = excluded.composite, confidence = excluded.confidence,
        dimensions = excluded.dimensions, category = excluded.category, prompt_name = excluded.prompt_name,
        prompt_version = excluded.prompt_version, updated_at = excluded.updated_at`
      yield* sql`DELETE FROM tau_reward_dimensions WHERE session_id = ${event.sessionId} AND evaluator_hash = ${hash}`
      const rows = Object.entries(event.dimensions).map(([dimension, score]) => ({
        session_id: event.sessionId,
        evaluator_hash: hash,
        dimension,
        score
      }))
      if (rows.length > 0) yield* sql`INSERT INTO tau_reward_dimensions ${sql.insert(rows)}`
    })
}
