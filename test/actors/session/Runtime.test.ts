import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Context, Effect, Either, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { SessionId } from "../../../src/domain/Ids.ts"
import { sessionStream } from "../../../src/events/Streams.ts"
import type { EventLog } from "../../../src/events/EventLog.ts"
import { EventLog as EventLogTag } from "../../../src/events/EventLog.ts"
import { activate } from "../../../src/actors/session/Actor.ts"
import { defaultDeciderSettings } from "../../../src/actors/session/State.ts"
import { ModelName } from "../../../src/domain/Ids.ts"
import { sqliteEventLogLayer } from "../../support/Sqlite.ts"
import { beginTurn, send, startSpec } from "./fixtures.ts"
import { Reply, loopbackModel } from "../../support/LoopbackModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"
import { isCollected } from "../../support/Gc.ts"
import { eventually, rawStreamText, sessionsLayer, streamOf, workspace } from "./runtime.ts"

const tagsOf = (events: ReadonlyArray<{ readonly event: { readonly _tag: string } }>) => events.map((e) => e.event._tag)

const withSessions = <A, E>(
  lb: LoopbackModel,
  file: string,
  body: Effect.Effect<A, E, Sessions | EventLog>,
  overrides: Record<string, string> = {}
) => Effect.provide(body, sessionsLayer(file, lb, overrides))

describe("session runtime (SQLite + loopback model)", () => {
  it.scopedLive("tool loop read → edit → run: the events in order, the file edited, the model saw every result", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      fs.writeFileSync(path.join(ws, "greet.txt"), "hello world\n")
      lb.enqueue(
        Reply.toolCalls([{ id: "r1", name: "read_file", arguments: { path: "greet.txt" } }]),
        Reply.toolCalls([{ id: "e1", name: "edit_file", arguments: { path: "greet.txt", find: "world", replace: "tau" } }]),
        Reply.toolCalls([{ id: "c1", name: "run_command", arguments: { command: "cat greet.txt" } }]),
        Reply.text("Changed world to tau.")
      )
      const sessionId = SessionId.make("loop-1")
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const progress = yield* sessions.send("rename world to tau", { sessionId, workspace: ws, mode: "task", source: "test" })
          .pipe(Stream.runCollect)
        const items = [...progress]
        const finished = items.at(-1)
        expect(finished?._tag).toBe("Finished")
        if (finished?._tag === "Finished") {
          expect(finished.reply.reply).toMatchObject({ content: "Changed world to tau.", stopReason: "final_answer", turn: 4 })
          expect(finished.reply).toMatchObject({ status: "ended", ending: "SessionCompleted", turns: 4 })
        }
        const stored = yield* streamOf(sessionId)
        const turn = ["ModelRequested", "ModelResponded", "ToolCallRequested", "ToolCallCompleted", "TurnCompleted"]
        expect(tagsOf(stored)).toEqual([
          "SessionStarted",
          "UserMessageReceived",
          ...turn,
          ...turn,
          ...turn,
          "ModelRequested",
          "ModelResponded",
          "AssistantReplied",
          "TurnCompleted",
          "SessionCompleted"
        ])
        expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, i) => i + 1))
        // The progress stream carried exactly the stored events, in order.
        expect(items.flatMap((p) => (p._tag === "Event" ? [p.event._tag] : []))).toEqual(tagsOf(stored))
        expect(fs.readFileSync(path.join(ws, "greet.txt"), "utf8")).toBe("hello tau\n")
        const completed = stored.flatMap((e) => (e.event._tag === "ToolCallCompleted" ? [e.event] : []))
        expect(completed.map((c) => c.name)).toEqual(["read_file", "edit_file", "run_command"])
        expect(completed[2]?.output).toContain("hello tau")
        expect(completed[2]?.exitCode).toBe(0)
        const requests = lb.chatRequests()
        expect(requests).toHaveLength(4)
        const lastMessages = requests[3]!.body.messages
        expect(lastMessages[0]?.role).toBe("system")
        expect(lastMessages.filter((m) => m.role === "tool")).toHaveLength(3)
        expect(requests[0]!.body.tools?.length).toBeGreaterThanOrEqual(7)
        // Replay from the log gives what the model was sent last, plus the final answer.
        const replayed = yield* sessions.replay(sessionId)
        expect(replayed.transcript.length + 1).toBe(lastMessages.length + 1)
        const started = stored[0]?.event
        expect(started?._tag === "SessionStarted" && started.systemPrompt).toBe(lastMessages[0]?.content)
      }))
    }))

  it.scopedLive("max turns: the run stops after TAU_MAX_TURNS model calls with a max_turns reply", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      fs.writeFileSync(path.join(ws, "a.txt"), "a")
      for (let i = 0; i < 5; i++) lb.enqueue(Reply.toolCalls([{ id: `r${i}`, name: "read_file", arguments: { path: "a.txt" } }]))
      const reply = yield* withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("loop forever", { workspace: ws, mode: "task" })), {
        TAU_MAX_TURNS: "2"
      })
      expect(reply.reply).toMatchObject({ stopReason: "max_turns", turn: 2 })
      expect(reply.ending).toBe("SessionCompleted")
      expect(lb.chatRequests()).toHaveLength(2)
      const stored = yield* withSessions(lb, file, streamOf(reply.sessionId))
      const ending = stored.at(-1)?.event
      expect(ending?._tag === "SessionCompleted" && ending.reason).toBe("max_turns")
    }))

  it.scopedLive("invalid tool arguments: ToolCallFailed with the parse error, shown to the model, and the loop goes on", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(
        Reply.toolCalls([
          { id: "bad1", name: "read_file", arguments: { file: 42 } },
          { id: "bad2", name: "read_file", arguments: "{not json" }
        ]),
        Reply.text("I could not read it.")
      )
      const reply = yield* withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("read something", { workspace: ws })))
      expect(reply.reply?.content).toBe("I could not read it.")
      expect(reply.status).toBe("idle")
      const stored = yield* withSessions(lb, file, streamOf(reply.sessionId))
      const failures = stored.flatMap((e) => (e.event._tag === "ToolCallFailed" ? [e.event] : []))
      expect(failures.map((f) => f.reason)).toEqual(["invalid_arguments", "invalid_arguments"])
      expect(failures[0]?.message).toMatch(/path/)
      expect(tagsOf(stored)).toContain("ReplanHintInjected")
      const toolMessages = lb.chatRequests()[1]!.body.messages.filter((m) => m.role === "tool")
      expect(toolMessages.map((m) => String(m.content))).toEqual([
        `Error (invalid_arguments): ${failures[0]?.message}`,
        `Error (invalid_arguments): ${failures[1]?.message}`
      ])
    }))

  it.scopedLive("cancel mid-turn: the slow model call is interrupted and SessionCancelled records the turn", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(Reply.text("too late", { delayMs: 10_000 }))
      const sessionId = SessionId.make("cancel-1")
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const asking = yield* Effect.fork(sessions.ask("take your time", { sessionId, workspace: ws }))
        yield* eventually(Effect.map(streamOf(sessionId), (es) => es.some((e) => e.event._tag === "ModelRequested")))
        const started = Date.now()
        const cancelled = yield* sessions.cancel(sessionId)
        expect(Date.now() - started).toBeLessThan(5_000)
        expect(cancelled).toMatchObject({ status: "ended", ending: "SessionCancelled" })
        const reply = yield* Fiber.join(asking)
        expect(reply).toMatchObject({ status: "ended", ending: "SessionCancelled" })
        expect(reply.reply).toBeUndefined()
        const stored = yield* streamOf(sessionId)
        expect(tagsOf(stored)).toEqual(["SessionStarted", "UserMessageReceived", "ModelRequested", "SessionCancelled"])
        expect(stored.at(-1)?.event).toMatchObject({ by: "user", turn: 1, turns: 1 })
        const after = yield* Effect.either(sessions.ask("still there?", { sessionId }))
        expect(Either.isLeft(after) && after.left._tag).toBe("SessionAlreadyEnded")
      }))
    }))

  it.scopedLive("resume after restart: a new process continues the same stream and the model sees the history", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      const sessionId = SessionId.make("resume-1")
      lb.enqueue(Reply.text("first answer"))
      yield* Effect.scoped(withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("first", { sessionId, workspace: ws }))))
      lb.enqueue(Reply.text("second answer"))
      const second = yield* Effect.scoped(
        withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("second", { sessionId, workspace: "/elsewhere" })))
      )
      expect(second.reply).toMatchObject({ content: "second answer", turn: 2 })
      const stored = yield* withSessions(lb, file, streamOf(sessionId))
      expect(tagsOf(stored).filter((t) => t === "SessionStarted")).toHaveLength(1)
      expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, i) => i + 1))
      const seen = lb.chatRequests()[1]!.body.messages.map((m) => [m.role, m.content])
      expect(seen.slice(1)).toEqual([["user", "first"], ["assistant", "first answer"], ["user", "second"]])
      const started = stored[0]?.event
      expect(started?._tag === "SessionStarted" && started.workspace).toBe(ws)
    }))

  it.scopedLive("a secret in a tool's output leaves no trace in any event, nor in what the model is sent", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      const key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
      fs.writeFileSync(path.join(ws, ".env.example"), `OPENAI_API_KEY=${key}\n`)
      lb.enqueue(
        Reply.toolCalls([{ id: "r1", name: "read_file", arguments: { path: ".env.example" } }]),
        Reply.text(`The key is ${key}`)
      )
      const reply = yield* withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("what is in .env.example?", { workspace: ws })))
      expect(reply.reply?.content).not.toContain(key)
      const raw = yield* withSessions(lb, file, rawStreamText(reply.sessionId))
      expect(raw).toContain("REDACTED")
      expect(raw).not.toContain(key)
      expect(raw).not.toContain(key.slice(8, 28))
      expect(JSON.stringify(lb.chatRequests()[1]!.body.messages)).not.toContain(key)
      const tags = (yield* withSessions(lb, file, streamOf(reply.sessionId))).map((e) => e.event)
      expect(tags.filter((e) => e._tag === "SafetyViolationDetected").map((e) => e.stage)).toContain("tool_output")
    }))

  it.scopedLive("an actor passivates after idling and is rebuilt on the next command; idle past the timeout → SessionAbandoned", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      const sessionId = SessionId.make("idle-1")
      lb.enqueue(Reply.text("one"), Reply.text("two"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        yield* sessions.ask("1", { sessionId, workspace: ws })
        // Generous bounds: the conditions come within ~0.2 s, but CI runs many suites at once on two cores.
        yield* eventually(Effect.map(sessions.activeActors, (n) => n === 0), 10_000)
        const second = yield* sessions.ask("2", { sessionId })
        expect(second.reply).toMatchObject({ content: "two", turn: 2 })
      }), { TAU_SESSION_PASSIVATE_AFTER_MS: "100" })
      const abandonedId = SessionId.make("idle-2")
      lb.enqueue(Reply.text("three"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        yield* sessions.ask("hi", { sessionId: abandonedId, workspace: ws })
        yield* eventually(
          Effect.map(streamOf(abandonedId), (es) => es.at(-1)?.event._tag === "SessionAbandoned"),
          10_000
        )
        const state = yield* sessions.replay(abandonedId)
        expect(state).toMatchObject({ status: "ended", ending: "SessionAbandoned", turn: 1 })
      }), { TAU_SESSION_IDLE_TIMEOUT_MS: "150", TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("an idle tick that comes before the idle timeout by the actor's clock neither passivates it nor skips SessionAbandoned", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(Reply.text("one"))
      // The actor's clock runs at 0.8 of the timers' pace, so its timer always fires early by that clock (node's
      // timers and Date.now also disagree, by up to a millisecond, which made this rare in practice).
      const origin = Date.now()
      const now = () => origin + Math.floor((Date.now() - origin) * 0.8)
      const lagging: Clock.Clock = Object.assign(Object.create(Clock.make()) as Clock.Clock, {
        unsafeCurrentTimeMillis: now,
        currentTimeMillis: Effect.sync(now),
        unsafeCurrentTimeNanos: () => BigInt(now()) * 1_000_000n,
        currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n)
      })
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("early-tick")
        yield* sessions.ask("hi", { sessionId, workspace: ws })
        yield* eventually(Effect.map(streamOf(sessionId), (es) => es.at(-1)?.event._tag === "SessionAbandoned"), 10_000)
      }), { TAU_SESSION_IDLE_TIMEOUT_MS: "300", TAU_SESSION_PASSIVATE_AFTER_MS: "60000" }).pipe(Effect.withClock(lagging))
    }))

  it.scopedLive("a session made for its message passivates as soon as it has replied; its next message continues it from the log", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(Reply.text("one"), Reply.text("two"), Reply.text("named"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const first = yield* sessions.ask("1", { workspace: ws })
        // The actor leaves right after answering (not after TAU_SESSION_PASSIVATE_AFTER_MS, a minute here).
        yield* eventually(Effect.map(sessions.activeActors, (n) => n === 0), 10_000)
        const second = yield* sessions.ask("2", { sessionId: first.sessionId })
        expect(second.reply).toMatchObject({ content: "two", turn: 2 })
        expect(second.turns).toBe(2)
        // Continued by id, it stays in memory as any named session does.
        expect(yield* sessions.activeActors).toBe(1)
        const named = yield* sessions.ask("hi", { sessionId: SessionId.make("named-1"), workspace: ws })
        expect(named.reply?.content).toBe("named")
        expect(yield* sessions.activeActors).toBe(2)
        const events = yield* streamOf(first.sessionId)
        expect(events.filter((e) => e.event._tag === "SessionStarted")).toHaveLength(1)
        expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1))
      }), { TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("messages to a new session sent while its first one runs are served by the same actor, in order", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(Reply.text("one", { delayMs: 300 }), Reply.text("two"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("fresh-then-more")
        const first = yield* Effect.fork(sessions.ask("1", { sessionId, freshSession: true, workspace: ws }))
        yield* eventually(Effect.sync(() => lb.chatRequests().length === 1), 10_000)
        const second = yield* sessions.ask("2", { sessionId })
        expect((yield* Fiber.join(first)).turns).toBe(1)
        expect(second).toMatchObject({ turns: 2, reply: { content: "two" } })
        const events = yield* streamOf(sessionId)
        expect(events.filter((e) => e.event._tag === "SessionStarted")).toHaveLength(1)
      }), { TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("past TAU_SESSION_MAX_ACTORS the least recently used actors passivate early; nothing is lost", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const ids = Array.from({ length: 12 }, (_, i) => SessionId.make(`cap-${i}`))
        // Sessions in parallel, each one's messages in order: every message answered, as its session's next turn.
        const turns = yield* Effect.forEach(ids, (sessionId) =>
          Effect.forEach([1, 2, 3], (n) =>
            Effect.map(sessions.ask(`message ${n}`, { sessionId, workspace: ws }), (reply) => reply.turns)), { concurrency: "unbounded" })
        expect(turns).toEqual(ids.map(() => [1, 2, 3]))
        yield* eventually(Effect.map(sessions.activeActors, (n) => n <= 3), 3_000)
        const first = yield* sessions.ask("after eviction", { sessionId: ids[0]! })
        expect(first.turns).toBe(4)
        for (const sessionId of ids) {
          const state = yield* sessions.replay(sessionId)
          expect(state.turn).toBe(sessionId === ids[0] ? 4 : 3)
        }
      }), { TAU_SESSION_MAX_ACTORS: "3", TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("messages sent at once to one new session are its turns 1..n, one at a time, on one actor", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("at-once")
        const replies = yield* Effect.forEach(
          Array.from({ length: 8 }, (_, i) => i),
          (i) => sessions.ask(`message ${i}`, { sessionId, workspace: ws }),
          { concurrency: "unbounded" }
        )
        expect(replies.map((r) => r.turns).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
        expect(yield* sessions.activeActors).toBe(1)
        const state = yield* sessions.replay(sessionId)
        expect(state.turn).toBe(8)
        // One SessionStarted: the later messages found the first one's actor.
        const log = yield* EventLogTag
        const events = yield* log.readStream(sessionStream(sessionId))
        expect(events.filter((e) => e.event._tag === "SessionStarted")).toHaveLength(1)
      }))
    }))

  it.scopedLive("an actor kept in memory holds nothing of the request that first reached it (its context, headers, body)", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      class RequestContext extends Context.Tag("test/RequestContext")<RequestContext, { readonly body: Uint8Array }>() {}
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("keeps-nothing")
        // Made when the ask runs, so that nothing here holds the request once it has returned.
        const ask = Effect.suspend(() => {
          const request = { body: new Uint8Array(1 << 20) }
          return sessions.ask("hi", { sessionId, workspace: ws }).pipe(
            Effect.provideService(RequestContext, request),
            Effect.as(new WeakRef(request))
          )
        })
        const request = yield* ask
        expect(yield* sessions.activeActors).toBe(1)
        expect(yield* isCollected(request)).toBe(true)
        expect(yield* sessions.activeActors).toBe(1)
      }), { TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("each message's events carry the trace ids of the request that sent it, not of the one that started the actor", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      lb.enqueue(Reply.text("one"), Reply.text("two"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("traced")
        const askUnder = (name: string, message: string) =>
          Effect.flatMap(Effect.currentSpan.pipe(Effect.orDie), (span) =>
            Effect.as(sessions.ask(message, { sessionId, workspace: ws }), span)).pipe(Effect.withSpan(name))
        const first = yield* askUnder("request 1", "one")
        const second = yield* askUnder("request 2", "two")
        expect(first.traceId).not.toBe(second.traceId)
        const events = yield* streamOf(sessionId)
        // The second message's events start at its UserMessageReceived.
        const secondFrom = events.map((e) => e.event._tag).lastIndexOf("UserMessageReceived")
        expect(secondFrom).toBeGreaterThan(3)
        events.forEach((e, i) => {
          const span = i < secondFrom ? first : second
          expect([e.event._tag, e.metadata.traceId, e.metadata.spanId]).toEqual([e.event._tag, span.traceId, span.spanId])
        })
        expect(yield* sessions.activeActors).toBe(1)
      }), { TAU_SESSION_PASSIVATE_AFTER_MS: "60000" })
    }))

  it.scopedLive("feedback and end through the service", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      lb.enqueue(Reply.text("hello"))
      yield* withSessions(lb, file, Effect.gen(function*() {
        const sessions = yield* Sessions
        const { sessionId } = yield* sessions.ask("hi")
        yield* sessions.feedback(sessionId, { rating: 1, comment: "great", turn: 1, source: "cli" })
        const ended = yield* sessions.end(sessionId)
        expect(ended).toMatchObject({ status: "ended", ending: "SessionCompleted" })
        const missing = yield* Effect.either(sessions.feedback(SessionId.make("nope"), { rating: 0, source: "cli" }))
        expect(Either.isLeft(missing) && missing.left._tag).toBe("SessionNotFound")
        expect(tagsOf(yield* streamOf(sessionId)).slice(-2)).toEqual(["FeedbackReceived", "SessionCompleted"])
      }))
    }))

  it.scopedLive("a run cut short by a crash is finished from the log before the next message", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const sessionId = SessionId.make("crash-1")
      // A previous process recorded the message and the model request, then died.
      yield* Effect.flatMap(EventLogTag, (log) =>
        activate({ log, sessionId, settings: defaultDeciderSettings, redactDeep: (a) => a }).pipe(
          Effect.flatMap((actor) =>
            Effect.zipRight(actor.execute(send("before the crash", startSpec({ model: ModelName.make("loopback-model") })), () => {}), actor.execute(beginTurn(), () => {}))
          ),
          Effect.orDie
        )).pipe(Effect.provide(sqliteEventLogLayer(file)))
      lb.enqueue(Reply.text("answer to the first"), Reply.text("answer to the second"))
      const reply = yield* withSessions(lb, file, Effect.flatMap(Sessions, (s) => s.ask("after the restart", { sessionId })))
      expect(reply.reply).toMatchObject({ content: "answer to the second", turn: 2 })
      const stored = yield* withSessions(lb, file, streamOf(sessionId))
      expect(tagsOf(stored)).toEqual([
        "SessionStarted",
        "UserMessageReceived",
        "ModelRequested",
        "ModelResponded",
        "AssistantReplied",
        "TurnCompleted",
        "UserMessageReceived",
        "ModelRequested",
        "ModelResponded",
        "AssistantReplied",
        "TurnCompleted"
      ])
      expect(lb.chatRequests()[0]!.body.messages.at(-1)).toMatchObject({ role: "user", content: "before the crash" })
    }))

  it.scopedLive("shutdown mid-turn records SessionCancelled by shutdown", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const sessionId = SessionId.make("shutdown-1")
      lb.enqueue(Reply.text("never", { delayMs: 10_000 }))
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(sessionsLayer(file, lb), scope)
      const asking = yield* Effect.flatMap(Sessions, (s) => s.ask("slow", { sessionId })).pipe(
        Effect.provide(context),
        Effect.either,
        Effect.fork
      )
      yield* eventually(
        Effect.map(streamOf(sessionId).pipe(Effect.provide(context)), (es) => es.some((e) => e.event._tag === "ModelRequested"))
      )
      yield* Scope.close(scope, Exit.void)
      // The caller is answered, not left waiting.
      const answer = yield* Fiber.join(asking)
      expect(Either.isLeft(answer) && answer.left._tag).toBe("SessionStorageError")
      const stored = yield* withSessions(lb, file, streamOf(sessionId))
      expect(stored.at(-1)?.event).toMatchObject({ _tag: "SessionCancelled", by: "shutdown", turn: 1 })
    }))
})
