import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option } from "effect"
import type { SendError } from "../../../src/actors/session/Host.ts"
import type { SessionReply } from "../../../src/actors/session/Progress.ts"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { SessionId } from "../../../src/domain/Ids.ts"
import type { EventLog } from "../../../src/events/EventLog.ts"
import { WalFlush } from "../../../src/events/sqlite/WalSync.ts"
import type { FlushFile } from "../../../src/events/sqlite/WalSync.ts"
import { heldFlushes } from "../../support/HeldFlushes.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../../support/Sqlite.ts"
import { eventually, fastModel, streamOf } from "./runtime.ts"

const sessionsOver = (file: string, lb: LoopbackModel, flush: FlushFile, lingerMs: number) =>
  Sessions.Default.pipe(
    Layer.provideMerge(sqliteEventLogLayer(file, {}, "background").pipe(Layer.provide(Layer.succeed(WalFlush, flush)))),
    Layer.provide(Layer.setConfigProvider(lb.configProvider({
      ...fastModel,
      TAU_SESSION_STREAM: "false",
      TAU_SESSION_TURN_LINGER_MS: String(lingerMs)
    })))
  )

/** Sessions over a fresh log whose WAL flushes are held; the loopback model answers `reply` once, after `delayMs`. */
const withHeldFlushes = <A, E>(
  options: { readonly reply: string; readonly lingerMs: number; readonly delayMs?: number },
  body: (lb: LoopbackModel, flushes: ReturnType<typeof heldFlushes>) => Effect.Effect<A, E, Sessions | EventLog>
) =>
  Effect.gen(function*() {
    const lb = yield* loopbackModel()
    const file = yield* tempSqliteFile
    const flushes = heldFlushes()
    lb.enqueue(Reply.text(options.reply, options.delayMs === undefined ? {} : { delayMs: options.delayMs }))
    return yield* body(lb, flushes).pipe(
      Effect.provide(sessionsOver(file, lb, flushes.flush, options.lingerMs)),
      Effect.ensuring(Effect.sync(flushes.release))
    )
  })

const turnEvents = [
  "SessionStarted",
  "UserMessageReceived",
  "ModelRequested",
  "ModelResponded",
  "AssistantReplied",
  "TurnCompleted"
]

/** The answer's append: flushed, then the reply and the whole turn in the log, after `appends` flushes in all. */
const answerAppended = (
  ask: Fiber.RuntimeFiber<SessionReply, SendError>,
  flushes: ReturnType<typeof heldFlushes>,
  sessionId: SessionId,
  expected: { readonly reply: string; readonly appends: number }
) =>
  Effect.gen(function*() {
    yield* eventually(Effect.sync(() => flushes.inFlight() === 1))
    flushes.finish()
    const reply = yield* Fiber.join(ask)
    expect(reply.reply?.content).toBe(expected.reply)
    expect(tags(yield* streamOf(sessionId))).toEqual(turnEvents)
    expect(flushes.started()).toBe(expected.appends)
  })

const tags = (events: ReadonlyArray<{ readonly event: { readonly _tag: string } }>) => events.map((e) => e.event._tag)

describe("a turn's model call does not wait for its request to be durable", () => {
  it.scopedLive("linger 0: the model is asked while the request's append is still flushing; the answer is appended after it", () =>
    withHeldFlushes({ reply: "hi back", lingerMs: 0 }, (lb, flushes) =>
      Effect.gen(function*() {
        const sessionId = SessionId.make("linger-0")
        const sessions = yield* Sessions
        const ask = yield* Effect.fork(sessions.ask("hello", { sessionId, source: "test" }))
        // The model got the request while [SessionStarted, UserMessageReceived, ModelRequested] still flushes.
        yield* eventually(Effect.sync(() => lb.requests.length === 1 && flushes.inFlight() === 1))
        expect(Option.isNone(yield* Fiber.poll(ask))).toBe(true)
        expect(yield* streamOf(sessionId)).toEqual([])
        flushes.finish()
        // Then the answer's append, flushed in turn.
        yield* answerAppended(ask, flushes, sessionId, { reply: "hi back", appends: 2 })
      })))

  it.scopedLive("an answer within the linger: the request rides with it, one append for the turn", () =>
    withHeldFlushes({ reply: "quick", lingerMs: 5_000 }, (lb, flushes) =>
      Effect.gen(function*() {
        const sessionId = SessionId.make("linger-1")
        const sessions = yield* Sessions
        const ask = yield* Effect.fork(sessions.ask("hello", { sessionId, source: "test" }))
        yield* eventually(Effect.sync(() => flushes.inFlight() === 1))
        // The model answered before anything was written: the first append holds the whole turn.
        expect(lb.requests.length).toBe(1)
        expect(yield* streamOf(sessionId)).toEqual([])
        yield* answerAppended(ask, flushes, sessionId, { reply: "quick", appends: 1 })
      })))

  it.scopedLive("a model slower than the linger: the request is appended during the call, the answer after it", () =>
    withHeldFlushes({ reply: "slow", lingerMs: 20, delayMs: 400 }, (lb, flushes) =>
      Effect.gen(function*() {
        const sessionId = SessionId.make("linger-2")
        const sessions = yield* Sessions
        const ask = yield* Effect.fork(sessions.ask("hello", { sessionId, source: "test" }))
        yield* eventually(Effect.sync(() => lb.requests.length === 1 && flushes.inFlight() === 1))
        flushes.finish()
        // Durable while the model is still thinking.
        yield* eventually(Effect.map(streamOf(sessionId), (events) => events.length === 3))
        expect(tags(yield* streamOf(sessionId))).toEqual(turnEvents.slice(0, 3))
        expect(Option.isNone(yield* Fiber.poll(ask))).toBe(true)
        yield* answerAppended(ask, flushes, sessionId, { reply: "slow", appends: 2 })
      })))

  for (
    const [title, options] of [
      ["linger 0", { lingerMs: 0 }],
      ["a linger append (model slower than the linger)", { lingerMs: 20, delayMs: 300 }]
    ] as const
  ) {
    it.scopedLive(`${title}: when the request's append fails, the answer is not recorded and the caller gets the storage error`, () =>
      withHeldFlushes({ reply: "never recorded", ...options }, (lb, flushes) =>
        Effect.gen(function*() {
          const sessionId = SessionId.make(`failed-${options.lingerMs}`)
          const sessions = yield* Sessions
          const ask = yield* Effect.fork(Effect.either(sessions.ask("hello", { sessionId, source: "test" })))
          yield* eventually(Effect.sync(() => lb.requests.length === 1 && flushes.inFlight() === 1))
          flushes.finish(new Error("EIO"))
          const result = yield* Fiber.join(ask)
          expect(Either.isLeft(result)).toBe(true)
          if (Either.isLeft(result)) expect(result.left._tag).toBe("SessionStorageError")
          expect(tags(yield* streamOf(sessionId))).not.toContain("ModelResponded")
        })))
  }
})
