/**
 * `tau chat`: an interactive session on stdin. Replies stream to stdout, tool calls and results to stderr.
 * `/cancel` stops the message in flight (the session ends cancelled; the next message starts a new one),
 * `/exit` (or end of input) leaves the session open to resume with `--session`.
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option, Queue, Ref, Stream } from "effect"
import { resolve } from "node:path"
import * as readline from "node:readline"
import { Sessions } from "../../actors/session/Sessions.ts"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { newSessionId, SessionId as SessionIdSchema } from "../../domain/Ids.ts"
import { CliError } from "../CliError.ts"
import { stderrLine } from "../Output.ts"
import { makeRenderer, summaryLine } from "./Render.ts"
import { workspaceOption } from "./Run.ts"

const session = Options.text("session").pipe(
  Options.withAlias("s"),
  Options.withDescription("Resume this session (its id, as `tau sessions` lists it)"),
  Options.optional
)

const help = "commands: /cancel stops the reply in progress, /exit leaves (the session stays open)"

const stdinLines = Effect.acquireRelease(
  Effect.sync(() => readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity })),
  (rl) => Effect.sync(() => rl.close())
).pipe(
  Effect.map((rl) =>
    Stream.fromAsyncIterable(rl, (cause) => new CliError({ message: `cannot read stdin: ${String(cause)}` }))
  )
)

export const chatCommand = Command.make("chat", { session, workspace: workspaceOption }, (options) =>
  Effect.scoped(Effect.gen(function*() {
    const sessions = yield* Sessions
    // Say so before the user types anything.
    const { notConfigured } = yield* LanguageModel
    if (Option.isSome(notConfigured)) return yield* Effect.fail(notConfigured.value)
    const workspace = resolve(Option.getOrElse(options.workspace, () => "."))
    const interactive = process.stdin.isTTY === true
    const current = yield* Ref.make(Option.none<SessionId>())
    const inFlight = yield* Ref.make(Option.none<SessionId>())

    if (Option.isSome(options.session)) {
      const id = SessionIdSchema.make(options.session.value)
      const state = yield* sessions.replay(id)
      if (state.status === "new") return yield* new CliError({ message: `no session ${id}` })
      if (state.status === "ended") {
        return yield* new CliError({ message: `session ${id} has ended (${state.ending ?? "ended"}); start a new one` })
      }
      yield* stderrLine(`resuming session ${id}: ${state.turn} turns so far`)
      yield* Ref.set(current, Option.some(id))
    }
    if (interactive) yield* stderrLine(`tau chat in ${workspace} (${help})`)

    const lines = yield* Queue.unbounded<Option.Option<string>>()
    const cancelInFlight = Effect.flatMap(Ref.get(inFlight), Option.match({
      onNone: () => Effect.succeed(false),
      onSome: (id) =>
        sessions.cancel(id).pipe(
          Effect.catchAll((e) => stderrLine(`error: cannot cancel: ${e.message}`)),
          Effect.forkScoped,
          Effect.as(true)
        )
    }))
    yield* (yield* stdinLines).pipe(
      Stream.runForEach((line) =>
        line.trim() === "/cancel"
          ? Effect.flatMap(cancelInFlight, (cancelled) => (cancelled ? Effect.void : Queue.offer(lines, Option.some(line))))
          : Queue.offer(lines, Option.some(line))
      ),
      Effect.catchAll((e) => stderrLine(`error: ${e.message}`)),
      Effect.ensuring(Queue.offer(lines, Option.none())),
      Effect.forkScoped
    )

    const prompt = interactive ? Effect.sync(() => process.stderr.write("> ")) : Effect.void
    for (;;) {
      yield* prompt
      const next = yield* Queue.take(lines)
      if (Option.isNone(next)) break
      const text = next.value.trim()
      if (text === "") continue
      if (text === "/exit") break
      if (text === "/cancel") {
        yield* stderrLine("nothing to cancel")
        continue
      }
      if (text.startsWith("/")) {
        yield* stderrLine(`unknown command ${text}; ${help}`)
        continue
      }
      const id = Option.getOrElse(yield* Ref.get(current), newSessionId)
      const renderer = yield* makeRenderer({ quiet: false })
      yield* Ref.set(inFlight, Option.some(id))
      const reply = yield* sessions.send(text, { sessionId: id, mode: "chat", workspace, source: "cli" }).pipe(
        Stream.tap(renderer.show),
        Stream.runFold(Option.none<Parameters<typeof renderer.finish>[0]>(), (last, p) =>
          p._tag === "Finished" ? Option.some(p.reply) : last),
        Effect.ensuring(Ref.set(inFlight, Option.none())),
        // Without a model nothing can work: leave. Other failures (a conflict, storage) end this message only.
        Effect.catchAll((e) =>
          e._tag === "ModelNotConfigured"
            ? Effect.fail(e)
            : Effect.as(stderrLine(`error: ${e.message}`), Option.none())
        )
      )
      if (Option.isNone(reply)) continue
      yield* renderer.finish(reply.value)
      if (reply.value.status === "ended") {
        yield* stderrLine(`${summaryLine(reply.value)}; the next message starts a new session`)
        yield* Ref.set(current, Option.none())
      } else {
        if (reply.value.inboundBlocked) yield* stderrLine("! the message was blocked by the safety policy")
        yield* Ref.set(current, Option.some(id))
      }
    }
    const open = yield* Ref.get(current)
    if (Option.isSome(open)) yield* stderrLine(`session ${open.value} stays open: tau chat --session ${open.value}`)
  }))).pipe(Command.withDescription("Talk to the coding agent interactively (stdin); /cancel, /exit"))
