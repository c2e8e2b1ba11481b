/**
 * `tau sessions`: the sessions read model (caught up first, so a one-shot process sees every session).
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { SessionsProjection } from "../../projections/SessionsProjection.ts"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import { sessionSummaryToJson } from "../../projections/SessionsQuery.ts"
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


export const sessionsCommand = Command.make("sessions", { json, status, limit }, (options) =>
  Effect.gen(function*() {
    yield* (yield* ProjectionRunner).catchUp(SessionsProjection.name)
    const rows = yield* (yield* SessionsQuery).list({
      limit: Math.max(1, Math.min(1000, options.limit)),
      ...Option.match(options.status, { onNone: () => ({}), onSome: (s) => ({ status: s }) })
    })
    if (options.json) return yield* stdoutLine(JSON.stringify(rows.map((row) => sessionSummaryToJson(row))))
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
