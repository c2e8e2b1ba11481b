/**
 * Read side of the reward tables: aggregates of the latest session rewards by prompt version, task category or
 * day (per evaluator), and the per-session rows a rescoring compares against.
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { SqlInt } from "./SqlValues.ts"

export const RewardGrouping = Schema.Literal("prompt", "category", "day")
export type RewardGrouping = typeof RewardGrouping.Type

export class RewardGroup extends Schema.Class<RewardGroup>("RewardGroup")({
  /** prompt: `name@version`; category; day (YYYY-MM-DD, UTC); `all` without grouping. */
  key: Schema.String,
  evaluator: Schema.String,
  sessions: Schema.Int,
  meanComposite: Schema.Number,
  meanConfidence: Schema.Number,
  positive: Schema.Int,
  negative: Schema.Int,
  /** Mean score of each dimension over the sessions that have it. */
  dimensions: Schema.Record({ key: Schema.String, value: Schema.Number })
}) {}

export class SessionRewardRow extends Schema.Class<SessionRewardRow>("SessionRewardRow")({
  sessionId: Schema.String,
  evaluatorHash: Schema.String,
  evaluator: Schema.String,
  revision: Schema.Int,
  composite: Schema.Number,
  confidence: Schema.Number,
  dimensions: Schema.Record({ key: Schema.String, value: Schema.Number }),
  category: Schema.String,
  promptName: Schema.NullOr(Schema.String),
  promptVersion: Schema.NullOr(Schema.String),
  day: Schema.String
}) {}

const Num = Schema.Union(Schema.Number, Schema.NumberFromString)

const GroupRow = Schema.Struct({
  key: Schema.String,
  evaluator: Schema.String,
  hash: Schema.String,
  sessions: SqlInt,
  mean_composite: Num,
  mean_confidence: Num,
  positive: SqlInt,
  negative: SqlInt
})
const DimensionRow = Schema.Struct({ key: Schema.String, hash: Schema.String, dimension: Schema.String, mean: Num })
const SessionRow = Schema.Struct({
  session_id: Schema.String,
  evaluator_hash: Schema.String,
  evaluator_name: Schema.String,
  evaluator_version: Schema.String,
  revision: SqlInt,
  composite: Num,
  confidence: Num,
  dimensions: Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Number })),
  category: Schema.String,
  prompt_name: Schema.NullOr(Schema.String),
  prompt_version: Schema.NullOr(Schema.String),
  day: Schema.String
})
const decodeGroups = Schema.decodeUnknown(Schema.Array(GroupRow))
const decodeDimensions = Schema.decodeUnknown(Schema.Array(DimensionRow))
const decodeSessions = Schema.decodeUnknown(Schema.Array(SessionRow))

export interface RewardFilter {
  readonly by?: RewardGrouping | undefined
  /** Only rewards of this evaluator (configuration hash). */
  readonly evaluatorHash?: string | undefined
}

export class RewardsQuery extends Effect.Service<RewardsQuery>()("tau/projections/RewardsQuery", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const keyOf = (by: RewardGrouping | undefined, table: string) => {
      const t = (c: string) => `${table}.${c}`
      switch (by) {
        case "prompt":
          return sql.literal(`COALESCE(${t("prompt_name")}, '-') || '@' || COALESCE(${t("prompt_version")}, '-')`)
        case "category":
          return sql.literal(t("category"))
        case "day":
          return sql.literal(t("day"))
        case undefined:
          return sql.literal("'all'")
      }
    }

    const groups = Effect.fn("RewardsQuery.groups")(function*(filter: RewardFilter = {}) {
      const key = keyOf(filter.by, "r")
      const where = filter.evaluatorHash === undefined ? sql.literal("1 = 1") : sql`r.evaluator_hash = ${filter.evaluatorHash}`
      const rows = yield* decodeGroups(
        yield* sql`SELECT ${key} AS key, r.evaluator_name || '@' || r.evaluator_version AS evaluator,
            r.evaluator_hash AS hash, COUNT(*) AS sessions, AVG(r.composite) AS mean_composite,
            AVG(r.confidence) AS mean_confidence,
            SUM(CASE WHEN r.composite > 0 THEN 1 ELSE 0 END) AS positive,
            SUM(CASE WHEN r.composite < 0 THEN 1 ELSE 0 END) AS negative
          FROM tau_rewards r WHERE ${where}
          GROUP BY 1, 2, 3 ORDER BY 1, 2`
      )
      const dims = yield* decodeDimensions(
        yield* sql`SELECT ${key} AS key, r.evaluator_hash AS hash, d.dimension AS dimension, AVG(d.score) AS mean
          FROM tau_rewards r JOIN tau_reward_dimensions d
            ON d.session_id = r.session_id AND d.evaluator_hash = r.evaluator_hash
          WHERE ${where} GROUP BY 1, 2, 3`
      )
      return rows.map((r) => {
        const dimensions: Record<string, number> = {}
        for (const d of dims) if (d.key === r.key && d.hash === r.hash) dimensions[d.dimension] = d.mean
        return new RewardGroup({
          key: r.key,
          evaluator: r.evaluator,
          sessions: r.sessions,
          meanComposite: r.mean_composite,
          meanConfidence: r.mean_confidence,
          positive: r.positive,
          negative: r.negative,
          dimensions
        })
      })
    }, Effect.orDie)

    /** The latest reward of every session scored by `evaluatorHash` (all evaluators when absent). */
    const sessions = Effect.fn("RewardsQuery.sessions")(function*(evaluatorHash?: string) {
      const where = evaluatorHash === undefined ? sql.literal("1 = 1") : sql`evaluator_hash = ${evaluatorHash}`
      const rows = yield* decodeSessions(
        yield* sql`SELECT session_id, evaluator_hash, evaluator_name, evaluator_version, revision, composite,
            confidence, dimensions, category, prompt_name, prompt_version, day
          FROM tau_rewards WHERE ${where} ORDER BY day, session_id`
      )
      return rows.map((r) =>
        new SessionRewardRow({
          sessionId: r.session_id,
          evaluatorHash: r.evaluator_hash,
          evaluator: `${r.evaluator_name}@${r.evaluator_version}`,
          revision: r.revision,
          composite: r.composite,
          confidence: r.confidence,
          dimensions: r.dimensions,
          category: r.category,
          promptName: r.prompt_name,
          promptVersion: r.prompt_version,
          day: r.day
        })
      )
    }, Effect.orDie)

    return { groups, sessions } as const
  })
}) {}
