/**
 * `tau sessions`: the sessions read model (caught up first, so a one-shot process sees every session).
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { SessionsProjection } from "../../projections/SessionsProjection.ts"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import type { SessionSummary } from "../../projections/SessionsQuery.ts"
import { stdoutLine, table } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print the sessions as one JSON array"))
const status = Options.choice("status", ["active", "completed", "abandoned", "failed", "cancelled"]).pipe(
  Options.withDescription("Only sessions with this status"),
  Options.optional
)
const limit = Options.integer("limit").pipe(
  Options.withDescription("At most this many (newest first; 1..1000)"),
  Options.withDefault(50)
)

const toJson = (s: SessionSummary) => ({
  sessionId: s.sessionId,
  status: s.status,
  mode: s.mode,
  source: s.source,
  model: s.model,
  promptName: s.promptName,
  promptVersion: s.promptVersion,
  workspace: Option.getOrNull(s.workspace),
  turns: s.turns,
  promptTokens: s.promptTokens,
  completionTokens: s.completionTokens,
  costUsd: s.costUsd,
  toolCalls: s.toolCalls,
  failedToolCalls: s.failedToolCalls,
  endReason: Option.getOrNull(s.endReason),
  startedAt: s.startedAt.toISOString(),
  endedAt: Option.match(s.endedAt, { onNone: () => null, onSome: (d) => d.toISOString() }),
  lastActivityAt: s.lastActivityAt.toISOString()
})

export const sessionsCommand = Command.make("sessions", { json, status, limit }, (options) =>
  Effect.gen(function*() {
    yield* (yield* ProjectionRunner).catchUp(SessionsProjection.name)
    const rows = yield* (yield* SessionsQuery).list({
      limit: Math.max(1, Math.min(1000, options.limit)),
      ...Option.match(options.status, { onNone: () => ({}), onSome: (s) => ({ status: s }) })
    })
    if (options.json) return yield* stdoutLine(JSON.stringify(rows.map(toJson)))
    if (rows.length === 0) return yield* stdoutLine("no sessions yet")
    yield* stdoutLine(table([
      ["session", "status", "mode", "turns", "tokens in", "out", "cost", "model", "prompt", "started"],
      ...rows.map((s) => [
        s.sessionId,
        s.status,
        s.mode,
        String(s.turns),
        String(s.promptTokens),
        String(s.completionTokens),
        `$${s.costUsd.toFixed(4)}`,
        s.model,
        s.promptVersion,
        s.startedAt.toISOString().replace("T", " ").slice(0, 19)
      ])
    ]))
  })).pipe(Command.withDescription("List sessions: status, mode, turns, tokens, cost, model, prompt version"))
