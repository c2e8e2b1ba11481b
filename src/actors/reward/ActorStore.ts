/**
 * SQL of the reward actor's own state: its checkpoint (a row of the projection runner's checkpoint table, named
 * per evaluator hash) and one row per ended session it scored (the summary baselines are built from, the end
 * position, the latest revision and the position of its trigger). Runs in the caller's transaction when there is one.
 */
import { Clock, Effect, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import type { SessionSummary } from "../../learning/reward/Summary.ts"
import { TaskCategories } from "../../learning/reward/Category.ts"
import { SqlInt } from "../../projections/SqlValues.ts"

export interface ScoredSessionState {
  readonly sessionId: string
  readonly endPosition: number
  readonly summary: SessionSummary
  readonly revision: number
  readonly lastTrigger: number
}

export const checkpointName = (evaluatorHash: string): string => `actor:reward:${evaluatorHash.slice(0, 16)}`

export const setupActorTables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.withTransaction(sql.onDialectOrElse({
    pg: () =>
      Effect.zipRight(
        sql`SELECT pg_advisory_xact_lock(hashtext('tau_reward_actor_setup'))`,
        sql`CREATE TABLE IF NOT EXISTS tau_reward_actor_sessions (
          evaluator_hash TEXT NOT NULL,
          session_id TEXT NOT NULL,
          end_position BIGINT NOT NULL,
          category TEXT NOT NULL,
          tokens BIGINT NOT NULL,
          turns BIGINT NOT NULL,
          latency_ms DOUBLE PRECISION NOT NULL,
          revision INTEGER NOT NULL,
          last_trigger BIGINT NOT NULL,
          PRIMARY KEY (evaluator_hash, session_id)
        )`
      ),
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_reward_actor_sessions (
        evaluator_hash TEXT NOT NULL,
        session_id TEXT NOT NULL,
        end_position INTEGER NOT NULL,
        category TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        turns INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        revision INTEGER NOT NULL,
        last_trigger INTEGER NOT NULL,
        PRIMARY KEY (evaluator_hash, session_id)
      ) WITHOUT ROWID`
  }))
})

const Row = Schema.Struct({
  session_id: Schema.String,
  end_position: SqlInt,
  category: Schema.Literal(...TaskCategories),
  tokens: SqlInt,
  turns: SqlInt,
  latency_ms: Schema.Number,
  revision: SqlInt,
  last_trigger: SqlInt
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

/** Every session scored by this evaluator, in end order. */
export const loadScored = (evaluatorHash: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT session_id, end_position, category, tokens, turns, latency_ms, revision, last_trigger
      FROM tau_reward_actor_sessions WHERE evaluator_hash = ${evaluatorHash} ORDER BY end_position`
    const decoded = yield* Effect.orDie(decodeRows(rows))
    return decoded.map((r): ScoredSessionState => ({
      sessionId: r.session_id,
      endPosition: r.end_position,
      summary: {
        sessionId: r.session_id,
        category: r.category,
        tokens: r.tokens,
        turns: r.turns,
        latencyMs: r.latency_ms,
        ended: true
      },
      revision: r.revision,
      lastTrigger: r.last_trigger
    }))
  })

export const saveScored = (evaluatorHash: string, state: ScoredSessionState) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO tau_reward_actor_sessions ${
      sql.insert({
        evaluator_hash: evaluatorHash,
        session_id: state.sessionId,
        end_position: state.endPosition,
        category: state.summary.category,
        tokens: state.summary.tokens,
        turns: state.summary.turns,
        latency_ms: state.summary.latencyMs,
        revision: state.revision,
        last_trigger: state.lastTrigger
      })
    } ON CONFLICT (evaluator_hash, session_id) DO UPDATE SET
      revision = excluded.revision, last_trigger = excluded.last_trigger
      WHERE excluded.last_trigger > tau_reward_actor_sessions.last_trigger`)

const CheckpointRow = Schema.Struct({ position: SqlInt })
const decodeCheckpoint = Schema.decodeUnknown(Schema.Array(CheckpointRow))

export const readCheckpoint = (name: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT position FROM tau_projection_checkpoints WHERE name = ${name}`
    const decoded = yield* Effect.orDie(decodeCheckpoint(rows))
    return decoded[0]?.position ?? 0
  })

/** Moves the checkpoint forward only: a slower process sharing the database never moves it back. */
export const advanceCheckpoint = (name: string, position: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = new Date(yield* Clock.currentTimeMillis).toISOString()
    yield* sql`INSERT INTO tau_projection_checkpoints (name, version, position, updated_at)
      VALUES (${name}, 1, ${position}, ${now})
      ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
      WHERE excluded.position > tau_projection_checkpoints.position`
  })
