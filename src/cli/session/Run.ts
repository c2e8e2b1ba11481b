/**
 * `tau run "task"`: a one-shot task session in a workspace. The reply streams to stdout, tool calls and results
 * to stderr; `--json` prints only a final summary on stdout. Exit code 0 only when the session completed.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option, Ref, Stream } from "effect"
import { resolve } from "node:path"
import type { SessionReply } from "../../actors/session/Progress.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import { newSessionId } from "../../domain/Ids.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import { CliError } from "../CliError.ts"
import { stderrLine, stdoutLine } from "../Output.ts"
import { makeRenderer, outcomeOf, summaryLine } from "./Render.ts"

export const workspaceOption = Options.directory("workspace", { exists: "yes" }).pipe(
  Options.withAlias("w"),
  Options.withDescription("Directory the agent's tools work in (default: the current directory)"),
  Options.optional
)

const task = Args.text({ name: "task" }).pipe(Args.withDescription("What the agent should do"))
const json = Options.boolean("json").pipe(
  Options.withDescription("Print a JSON summary (session id, status, turns, tokens, cost, reply) on stdout instead of the reply")
)

const endingOf = (events: ReadonlyArray<SessionEvent>) => events.find((e) =>
  e._tag === "SessionCompleted" || e._tag === "SessionFailed" || e._tag === "SessionCancelled" || e._tag === "SessionAbandoned"
)

export const summaryJson = (reply: SessionReply, ending: SessionEvent | undefined) => ({
  sessionId: reply.sessionId,
  status: outcomeOf(reply),
  reason: ending === undefined
    ? null
    : ending._tag === "SessionCancelled"
    ? ending.by
    : ending._tag === "SessionAbandoned"
    ? "idle"
    : "reason" in ending
    ? ending.reason
    : null,
  turns: reply.turns,
  promptTokens: reply.promptTokens,
  completionTokens: reply.completionTokens,
  costUsd: reply.costUsd,
  reply: reply.reply?.content ?? null,
  stopReason: reply.reply?.stopReason ?? null
})

export const runCommand = Command.make("run", { task, workspace: workspaceOption, json }, (options) =>
  Effect.gen(function*() {
    const sessions = yield* Sessions
    const renderer = yield* makeRenderer({ quiet: options.json })
    const workspace = resolve(Option.getOrElse(options.workspace, () => "."))
    const sessionId = newSessionId()
    const ending = yield* Ref.make<SessionEvent | undefined>(undefined)
    const finished = yield* Ref.make(Option.none<SessionReply>())
    yield* sessions.send(options.task, { sessionId, mode: "task", workspace, source: "cli" }).pipe(
      Stream.runForEach((progress) =>
        Effect.zipRight(
          progress._tag === "Finished"
            ? Ref.set(finished, Option.some(progress.reply))
            : progress._tag === "Event" && endingOf([progress.event]) !== undefined
            ? Ref.set(ending, progress.event)
            : Effect.void,
          renderer.show(progress)
        )
      )
    )
    const reply = yield* Effect.flatMap(
      Ref.get(finished),
      Option.match({
        onNone: () => Effect.fail(new CliError({ message: `session ${sessionId} ended without a reply` })),
        onSome: Effect.succeed
      })
    )
    yield* renderer.finish(reply)
    if (options.json) yield* stdoutLine(JSON.stringify(summaryJson(reply, yield* Ref.get(ending))))
    else yield* stderrLine(summaryLine(reply))
    if (outcomeOf(reply) !== "completed") {
      return yield* new CliError({
        message: reply.inboundBlocked
          ? `session ${sessionId}: the task was blocked by the safety policy`
          : `session ${sessionId} did not complete (${outcomeOf(reply)})`
      })
    }
  })).pipe(Command.withDescription("Run one task with the coding agent in a workspace; exit code 0 when it completed"))
