/**
 * Read side of the `sessions` projection: list sessions (newest first; by status, source, mode, user, start time),
 * look one up, and find the open ones idle past a time.
 */
import { Effect, Option, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { SessionId } from "../domain/Ids.ts"
import { SessionMode, SessionSource } from "../events/catalogue/SessionEvents.ts"
import { sessionStatuses } from "./SessionsProjection.ts"
import { SqlInt, SqlTimestamp } from "./SqlValues.ts"

export const SessionRowStatus = Schema.Literal(...sessionStatuses)

export class SessionSummary extends Schema.Class<SessionSummary>("SessionSummary")({
  sessionId: SessionId,
  status: SessionRowStatus,
  mode: SessionMode,
  source: SessionSource,
  model: Schema.String,
  promptName: Schema.String,
  promptVersion: Schema.String,
  workspace: Schema.OptionFromNullOr(Schema.String),
  /** Who was talking (an API key id, a channel user), when the session recorded one. */
  userId: Schema.OptionFromNullOr(Schema.String),
  turns: Schema.Int,
  promptTokens: Schema.Int,
  completionTokens: Schema.Int,
  costUsd: Schema.Number,
  toolCalls: Schema.Int,
  failedToolCalls: Schema.Int,
  /** completed: final_answer | max_turns | ended_by_user; failed: its reason; cancelled: who; abandoned: idle. */
  endReason: Schema.OptionFromNullOr(Schema.String),
  startedAt: Schema.Date,
  endedAt: Schema.OptionFromNullOr(Schema.Date),
  lastActivityAt: Schema.Date
}) {}

/** The JSON form of a summary (absent values as null, times as ISO strings), as `tau sessions --json` prints it. */
export const sessionSummaryToJson = Schema.encodeSync(SessionSummary)

export const SessionFilters = Schema.Struct({
  status: Schema.optional(SessionRowStatus),
  source: Schema.optional(SessionSource),
  mode: Schema.optional(SessionMode),
  userId: Schema.optional(Schema.String),
  /** Started at or after. */
  since: Schema.optional(Schema.DateFromSelf),
  /** Started before. */
  until: Schema.optional(Schema.DateFromSelf),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000))),
  offset: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
export type SessionFilters = typeof SessionFilters.Type

const Row = Schema.Struct({
  session_id: SessionId,
  status: SessionRowStatus,
  mode: SessionMode,
  source: SessionSource,
  model: Schema.String,
  prompt_name: Schema.String,
  prompt_version: Schema.String,
  workspace: Schema.NullOr(Schema.String),
  user_id: Schema.NullOr(Schema.String),
  turns: SqlInt,
  prompt_tokens: SqlInt,
  completion_tokens: SqlInt,
  cost_usd: Schema.Union(Schema.Number, Schema.NumberFromString),
  tool_calls: SqlInt,
  failed_tool_calls: SqlInt,
  end_reason: Schema.NullOr(Schema.String),
  started_at: SqlTimestamp,
  ended_at: Schema.NullOr(SqlTimestamp),
  last_activity_at: SqlTimestamp
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

const toSummary = (r: typeof Row.Type) =>
  new SessionSummary({
    sessionId: r.session_id,
    status: r.status,
    mode: r.mode,
    source: r.source,
    model: r.model,
    promptName: r.prompt_name,
    promptVersion: r.prompt_version,
    workspace: Option.fromNullable(r.workspace),
    userId: Option.fromNullable(r.user_id),
    turns: r.turns,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    costUsd: r.cost_usd,
    toolCalls: r.tool_calls,
    failedToolCalls: r.failed_tool_calls,
    endReason: Option.fromNullable(r.end_reason),
    startedAt: r.started_at,
    endedAt: Option.fromNullable(r.ended_at),
    lastActivityAt: r.last_activity_at
  })

const decodeIds = Schema.decodeUnknown(Schema.Array(Schema.Struct({ session_id: SessionId })))

export class SessionsQuery extends Effect.Service<SessionsQuery>()("tau/projections/SessionsQuery", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const run = (statement: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
      statement.pipe(Effect.flatMap(decodeRows), Effect.map((rows) => rows.map(toSummary)), Effect.orDie)

    /** Newest first (by start time, then id). */
    const list = Effect.fn("SessionsQuery.list")(function*(filters: SessionFilters = {}) {
      const conditions = [
        filters.status === undefined ? undefined : sql`status = ${filters.status}`,
        filters.source === undefined ? undefined : sql`source = ${filters.source}`,
        filters.mode === undefined ? undefined : sql`mode = ${filters.mode}`,
        filters.userId === undefined ? undefined : sql`user_id = ${filters.userId}`,
        filters.since === undefined ? undefined : sql`started_at >= ${filters.since.toISOString()}`,
        filters.until === undefined ? undefined : sql`started_at < ${filters.until.toISOString()}`
      ].filter((c) => c !== undefined)
      return yield* run(sql`SELECT * FROM tau_sessions WHERE ${sql.and(conditions)}
        ORDER BY started_at DESC, session_id DESC LIMIT ${filters.limit ?? 100} OFFSET ${filters.offset ?? 0}`)
    })

    const get = Effect.fn("SessionsQuery.get")(function*(sessionId: SessionId) {
      const rows = yield* run(sql`SELECT * FROM tau_sessions WHERE session_id = ${sessionId}`)
      return Option.fromNullable(rows[0])
    })

    /**
     * Open sessions (agent or proxy ones) whose last event came before `before`, the longest-running first: the idle
     * sweeps' candidates. A session idle since before `before` started before it too, so the (status, started_at)
     * index gives the range.
     */
    const idleOpen = Effect.fn("SessionsQuery.idleOpen")(function*(
      options: { readonly before: Date; readonly proxy: boolean; readonly limit: number }
    ) {
      const cutoff = options.before.toISOString()
      const rows = yield* sql`SELECT session_id FROM tau_sessions
        WHERE status = 'active' AND started_at < ${cutoff} AND last_activity_at < ${cutoff}
          AND ${options.proxy ? sql`source = 'proxy'` : sql`source <> 'proxy'`}
        ORDER BY started_at LIMIT ${options.limit}`.pipe(Effect.flatMap(decodeIds), Effect.orDie)
      return rows.map((row) => row.session_id)
    })

    return { list, get, idleOpen } as const
  })
}) {}
