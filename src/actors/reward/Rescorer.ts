/**
 * Counterfactual rescoring: replays the whole log through the reward evaluator's rules (`LogReplay`) with another
 * configuration, without calling a model and without appending to the log. The results go to `tau_rescores`
 * (keyed by evaluator hash and session, replaced on each run) and are compared with the live reward table.
 */
import { Effect, Either } from "effect"
import { SqlClient } from "@effect/sql"
import { EventLog } from "../../events/EventLog.ts"
import { decodeRecorded } from "../../events/EventLogCore.ts"
import { type EvaluatorConfig, evaluatorRef } from "../../learning/reward/EvaluatorConfig.ts"
import { LogReplay, type ReplayedSession } from "../../learning/reward/Replay.ts"
import { rescoreDiff, type RescoreDiff } from "../../learning/reward/Rescore.ts"
import { RewardsQuery } from "../../projections/RewardsQuery.ts"
import { LiveEvaluator } from "./LiveEvaluator.ts"

export interface RescoreOptions {
  /** Only sessions that ended at or after this instant (the baselines still see every earlier session). */
  readonly from?: Date | undefined
  /** Only sessions that ended before this instant. */
  readonly to?: Date | undefined
}

export interface RescoreReport {
  readonly evaluator: string
  readonly evaluatorHash: string
  readonly live: string
  readonly liveHash: string
  readonly rescored: number
  readonly diff: RescoreDiff
}

const pageSize = 5000
const insertChunk = 200

const setup = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`CREATE TABLE IF NOT EXISTS tau_rescores (
    evaluator_hash TEXT NOT NULL,
    session_id TEXT NOT NULL,
    evaluator_name TEXT NOT NULL,
    evaluator_version TEXT NOT NULL,
    revision INTEGER NOT NULL,
    composite ${sql.literal(sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" }))} NOT NULL,
    confidence ${sql.literal(sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" }))} NOT NULL,
    dimensions TEXT NOT NULL,
    category TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    PRIMARY KEY (evaluator_hash, session_id)
  )`)

export class Rescorer extends Effect.Service<Rescorer>()("tau/actors/reward/Rescorer", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const log = yield* EventLog
    const rewards = yield* RewardsQuery
    const live = yield* LiveEvaluator

    /** Scores every ended session of the log with `config` (pure replay; reads only). */
    const replay = Effect.fn("Rescorer.replay")(function*(config: EvaluatorConfig, options: RescoreOptions = {}) {
      const replay = new LogReplay()
      const head = yield* log.head
      let cursor = 0
      while (cursor < head) {
        const rows = yield* log.readAllRaw(cursor + 1, pageSize)
        if (rows.length === 0) break
        for (const row of rows) {
          if (!row.streamId.startsWith("session-")) continue
          const decoded = decodeRecorded(row)
          if (Either.isRight(decoded)) replay.feed(decoded.right)
        }
        cursor = rows[rows.length - 1]!.position
      }
      const { from, to } = options
      return replay.finish(config, (at) => (from === undefined || at >= from) && (to === undefined || at < to))
    })

    const store = (config: EvaluatorConfig, sessions: ReadonlyArray<ReplayedSession>) =>
      Effect.gen(function*() {
        const ref = evaluatorRef(config)
        yield* setup
        yield* sql`DELETE FROM tau_rescores WHERE evaluator_hash = ${ref.hash}`
        for (let i = 0; i < sessions.length; i += insertChunk) {
          const rows = sessions.slice(i, i + insertChunk).map((s) => ({
            evaluator_hash: ref.hash,
            session_id: s.sessionId,
            evaluator_name: ref.name,
            evaluator_version: ref.version,
            revision: s.revision,
            composite: s.evaluation.session.composite,
            confidence: s.evaluation.session.confidence,
            dimensions: JSON.stringify(s.evaluation.session.dimensions),
            category: s.evaluation.session.category,
            ended_at: s.endedAt.toISOString()
          }))
          yield* sql`INSERT INTO tau_rescores ${sql.insert(rows)}`
        }
      }).pipe(sql.withTransaction)

    /**
     * Rescores with `config`, stores the results and compares them with the live table (the live evaluator's
     * latest rewards of the same sessions). The live table should be caught up first.
     */
    const rescore = Effect.fn("Rescorer.rescore")(function*(config: EvaluatorConfig, options: RescoreOptions = {}) {
      const sessions = yield* replay(config, options)
      yield* store(config, sessions)
      const ref = evaluatorRef(config)
      const liveRef = evaluatorRef(live)
      const liveRows = yield* rewards.sessions(liveRef.hash)
      const selected = new Set(sessions.map((s) => s.sessionId))
      const before = liveRows.filter((r) => selected.has(r.sessionId))
      const after = sessions.map((s) => ({
        sessionId: s.sessionId,
        composite: s.evaluation.session.composite,
        dimensions: s.evaluation.session.dimensions
      }))
      return {
        evaluator: `${ref.name}@${ref.version}`,
        evaluatorHash: ref.hash,
        live: `${liveRef.name}@${liveRef.version}`,
        liveHash: liveRef.hash,
        rescored: sessions.length,
        diff: rescoreDiff(before, after)
      } satisfies RescoreReport
    }, Effect.catchTag("SqlError", Effect.die))

    return { replay, rescore } as const
  })
}) {}
