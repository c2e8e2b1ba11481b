/**
 * The `sessions` read model: one row per session (status, mode, model, prompt version, turns, tokens, cost,
 * tool calls, start, end and last activity), folded from the `session-<id>` streams.
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import { streamKind } from "../events/Streams.ts"
import { TauEvent } from "../events/TauEvent.ts"
import type { TauEventType } from "../events/TauEvent.ts"
import type { SessionStarted } from "../events/catalogue/SessionEvents.ts"
import type { Envelope } from "../events/Envelope.ts"
import type { Projection } from "./Projection.ts"
import { forEachBatch } from "./SqlBatches.ts"

export const sessionStatuses = ["active", "completed", "abandoned", "failed", "cancelled"] as const
export type SessionRowStatus = (typeof sessionStatuses)[number]

/** The status and end reason an ending event gives a session; undefined for other events. */
export const endingOf = (event: TauEvent): { readonly status: SessionRowStatus; readonly reason: string } | undefined => {
  switch (event._tag) {
    case "SessionCompleted":
      return { status: "completed", reason: event.reason }
    case "SessionFailed":
      return { status: "failed", reason: event.reason }
    case "SessionCancelled":
      return { status: "cancelled", reason: event.by }
    case "SessionAbandoned":
      return { status: "abandoned", reason: "idle" }
    default:
      return undefined
  }
}

const setup = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.onDialectOrElse({
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_sessions (
        session_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_name TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        workspace TEXT,
        user_id TEXT,
        turns BIGINT NOT NULL,
        prompt_tokens BIGINT NOT NULL,
        completion_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        tool_calls BIGINT NOT NULL,
        failed_tool_calls BIGINT NOT NULL,
        end_reason TEXT,
        started_at TIMESTAMPTZ NOT NULL,
        ended_at TIMESTAMPTZ,
        last_activity_at TIMESTAMPTZ NOT NULL
      )`,
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_sessions (
        session_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        mode TEXT NOT NULL,
        source TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_name TEXT NOT NULL,
        prompt_version TEXT NOT NULL,
        workspace TEXT,
        user_id TEXT,
        turns INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        tool_calls INTEGER NOT NULL,
        failed_tool_calls INTEGER NOT NULL,
        end_reason TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        last_activity_at TEXT NOT NULL
      ) WITHOUT ROWID`
  })
  yield* sql`CREATE INDEX IF NOT EXISTS tau_sessions_started ON tau_sessions (started_at, session_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS tau_sessions_status ON tau_sessions (status, started_at)`
})

/** `apply` acts on any event that has a session id: derived from the catalogue, so a new event type is not missed. */
const withSessionId: ReadonlyArray<TauEventType> = TauEvent.members
  .filter((member) => "sessionId" in member.fields)
  .map((member) => member._tag)

export const SessionsProjection: Projection = {
  name: "sessions",
  /** 2: user_id (the gateway filters sessions by user). */
  version: 2,
  tables: ["tau_sessions"],
  handles: withSessionId,
  setup,
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS tau_sessions`),
  apply: (envelope) => applyOne(envelope),
  applyAll: (envelopes) => applyAll(envelopes)
}

/** The row a SessionStarted inserts, before any other event of the session. */
const startedRow = (event: SessionStarted, at: string) => ({
  session_id: event.sessionId as string,
  status: "active" as SessionRowStatus,
  mode: event.mode ?? "chat",
  source: event.source,
  model: event.model as string,
  prompt_name: event.promptName as string,
  prompt_version: event.promptVersion as string,
  workspace: event.workspace ?? null,
  user_id: event.userId ?? null,
  turns: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  tool_calls: 0,
  failed_tool_calls: 0,
  end_reason: null as string | null,
  started_at: at,
  ended_at: null as string | null,
  last_activity_at: at
})

type StartedRow = ReturnType<typeof startedRow>

const applyOne = (envelope: Envelope<TauEvent>) =>
    Effect.gen(function*() {
      if (streamKind(envelope.streamId) !== "session") return
      const sql = yield* SqlClient.SqlClient
      const event = envelope.event
      const at = envelope.recordedAt.toISOString()
      if (event._tag === "SessionStarted") {
        // A second SessionStarted on one stream is not something the actor writes; the first one wins.
        return yield* sql`INSERT INTO tau_sessions ${sql.insert(startedRow(event, at))} ON CONFLICT (session_id) DO NOTHING`
      }
      const id = "sessionId" in event ? event.sessionId : undefined
      if (id === undefined) return
      const ending = endingOf(event)
      switch (event._tag) {
        case "ModelRequested":
          return yield* sql`UPDATE tau_sessions SET turns = ${event.turn}, last_activity_at = ${at}
            WHERE session_id = ${id}`
        case "ModelResponded":
          return yield* sql`UPDATE tau_sessions SET
              prompt_tokens = prompt_tokens + ${event.usage.promptTokens},
              completion_tokens = completion_tokens + ${event.usage.completionTokens},
              cost_usd = cost_usd + ${event.costUsd ?? 0},
              last_activity_at = ${at}
            WHERE session_id = ${id}`
        case "ToolCallRequested":
          return yield* sql`UPDATE tau_sessions SET tool_calls = tool_calls + 1, last_activity_at = ${at}
            WHERE session_id = ${id}`
        case "ToolCallFailed":
          return yield* sql`UPDATE tau_sessions SET failed_tool_calls = failed_tool_calls + 1, last_activity_at = ${at}
            WHERE session_id = ${id}`
        default:
          if (ending !== undefined) {
            // The first ending counts; the actor writes exactly one.
            return yield* sql`UPDATE tau_sessions SET
                status = CASE WHEN status = 'active' THEN ${ending.status} ELSE status END,
                end_reason = CASE WHEN status = 'active' THEN ${ending.reason} ELSE end_reason END,
                ended_at = CASE WHEN status = 'active' THEN ${at} ELSE ended_at END,
                last_activity_at = ${at}
              WHERE session_id = ${id}`
          }
          return yield* sql`UPDATE tau_sessions SET last_activity_at = ${at} WHERE session_id = ${id}`
      }
    })

/** What a run of one session's events (no SessionStarted among them) changes in its row: `apply`'s updates, folded. */
interface Fold {
  turn: number | undefined
  promptTokens: number
  completionTokens: number
  /** Each cost in order, added one by one in SQL as `apply` adds them (floating-point sums depend on the order). */
  readonly costs: Array<number>
  toolCalls: number
  failedToolCalls: number
  ending: { readonly status: SessionRowStatus; readonly reason: string; readonly at: string } | undefined
  lastActivityAt: string
}

const foldEvent = (fold: Fold, event: TauEvent, at: string) => {
  fold.lastActivityAt = at
  switch (event._tag) {
    case "ModelRequested":
      fold.turn = event.turn
      return
    case "ModelResponded":
      fold.promptTokens += event.usage.promptTokens
      fold.completionTokens += event.usage.completionTokens
      if (event.costUsd !== undefined && event.costUsd !== 0) fold.costs.push(event.costUsd)
      return
    case "ToolCallRequested":
      fold.toolCalls++
      return
    case "ToolCallFailed":
      fold.failedToolCalls++
      return
    default: {
      const ending = endingOf(event)
      // Only the first ending counts (`apply` checks the status each ending finds; one UPDATE sees the old one).
      if (ending !== undefined && fold.ending === undefined) fold.ending = { ...ending, at }
    }
  }
}

const newFold = (at: string): Fold => ({
  turn: undefined,
  promptTokens: 0,
  completionTokens: 0,
  costs: [],
  toolCalls: 0,
  failedToolCalls: 0,
  ending: undefined,
  lastActivityAt: at
})

const writeFold = (sessionId: string, fold: Fold) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const sets = [
      ...(fold.turn !== undefined ? [sql`turns = ${fold.turn}`] : []),
      ...(fold.promptTokens !== 0 ? [sql`prompt_tokens = prompt_tokens + ${fold.promptTokens}`] : []),
      ...(fold.completionTokens !== 0 ? [sql`completion_tokens = completion_tokens + ${fold.completionTokens}`] : []),
      ...(fold.costs.length > 0 ? [sql`cost_usd = ${sql.join(" + ", false)(["cost_usd", ...fold.costs.map((c) => sql`${c}`)])}`] : []),
      ...(fold.toolCalls !== 0 ? [sql`tool_calls = tool_calls + ${fold.toolCalls}`] : []),
      ...(fold.failedToolCalls !== 0 ? [sql`failed_tool_calls = failed_tool_calls + ${fold.failedToolCalls}`] : []),
      ...(fold.ending !== undefined
        ? [
          sql`status = CASE WHEN status = 'active' THEN ${fold.ending.status} ELSE status END`,
          sql`end_reason = CASE WHEN status = 'active' THEN ${fold.ending.reason} ELSE end_reason END`,
          sql`ended_at = CASE WHEN status = 'active' THEN ${fold.ending.at} ELSE ended_at END`
        ]
        : []),
      sql`last_activity_at = ${fold.lastActivityAt}`
    ]
    return sql`UPDATE tau_sessions SET ${sql.csv(sets)} WHERE session_id = ${sessionId}`
  })

/** A long chain of additions would pass SQLite's expression depth limit (1000): more costs go in further UPDATEs. */
const maxCostsPerUpdate = 200

/** `fold` as UPDATEs of at most `maxCostsPerUpdate` costs each, in order. */
const writeFoldInParts = (sessionId: string, fold: Fold) =>
  Effect.suspend(() => {
    if (fold.costs.length <= maxCostsPerUpdate) return writeFold(sessionId, fold)
    const parts: Array<Fold> = [{ ...fold, costs: fold.costs.slice(0, maxCostsPerUpdate) }]
    for (let i = maxCostsPerUpdate; i < fold.costs.length; i += maxCostsPerUpdate) {
      parts.push({ ...newFold(fold.lastActivityAt), costs: fold.costs.slice(i, i + maxCostsPerUpdate) })
    }
    return Effect.forEach(parts, (part) => writeFold(sessionId, part), { discard: true })
  })

/**
 * The row of a session started in this page with the page's later events of it already applied: what its INSERT
 * and then `writeFold` would leave. Costs are summed from 0 in order, as SQL adds them to the inserted 0.
 */
const foldedRow = (row: StartedRow, fold: Fold | undefined): StartedRow => {
  if (fold === undefined) return row
  let cost = row.cost_usd
  for (const c of fold.costs) cost += c
  return {
    ...row,
    turns: fold.turn ?? row.turns,
    prompt_tokens: row.prompt_tokens + fold.promptTokens,
    completion_tokens: row.completion_tokens + fold.completionTokens,
    cost_usd: cost,
    tool_calls: row.tool_calls + fold.toolCalls,
    failed_tool_calls: row.failed_tool_calls + fold.failedToolCalls,
    ...(fold.ending !== undefined ? { status: fold.ending.status, end_reason: fold.ending.reason, ended_at: fold.ending.at } : {}),
    last_activity_at: fold.lastActivityAt
  }
}

interface Started {
  readonly row: StartedRow
  /** The session's events after its SessionStarted in this page. */
  fold: Fold | undefined
}

/**
 * A page's events in few statements (a turn is ~8 events of one session): the sessions started in the page are
 * inserted together, their later events in the page already folded into their rows; other sessions get one
 * UPDATE each. A start whose row already existed (a second SessionStarted, which the actor never writes) inserts
 * nothing, as `apply`'s does, and its later events are then written as UPDATEs. Earlier events of a session
 * started later in the page are written before its row is inserted, as `apply` orders them.
 */
const applyAll = (envelopes: ReadonlyArray<Envelope<TauEvent>>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const starts = new Map<string, Started>()
    const folds = new Map<string, Fold>()
    for (const envelope of envelopes) {
      if (streamKind(envelope.streamId) !== "session") continue
      const event = envelope.event
      const at = envelope.recordedAt.toISOString()
      if (event._tag === "SessionStarted") {
        if (starts.has(event.sessionId)) continue
        const before = folds.get(event.sessionId)
        if (before !== undefined) {
          folds.delete(event.sessionId)
          yield* writeFoldInParts(event.sessionId, before)
        }
        starts.set(event.sessionId, { row: startedRow(event, at), fold: undefined })
        continue
      }
      const id = "sessionId" in event ? event.sessionId : undefined
      if (id === undefined) continue
      const started = starts.get(id)
      if (started !== undefined) {
        started.fold ??= newFold(at)
        foldEvent(started.fold, event, at)
        continue
      }
      let fold = folds.get(id)
      if (fold === undefined) {
        fold = newFold(at)
        folds.set(id, fold)
      }
      foldEvent(fold, event, at)
      if (fold.costs.length >= maxCostsPerUpdate) {
        folds.delete(id)
        yield* writeFold(id, fold)
      }
    }
    for (const [sessionId, fold] of folds) yield* writeFold(sessionId, fold)
    if (starts.size === 0) return
    const inserted = new Set<string>()
    yield* forEachBatch([...starts.values()], (batch) =>
      sql<{ readonly session_id: string }>`INSERT INTO tau_sessions ${
        sql.insert(batch.map((s) => foldedRow(s.row, s.fold)))
      } ON CONFLICT (session_id) DO NOTHING RETURNING session_id`.pipe(
        Effect.map((rows) => rows.forEach((r) => inserted.add(r.session_id)))
      ))
    for (const [sessionId, started] of starts) {
      if (!inserted.has(sessionId) && started.fold !== undefined) yield* writeFoldInParts(sessionId, started.fold)
    }
  })
