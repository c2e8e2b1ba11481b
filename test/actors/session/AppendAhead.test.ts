import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option } from "effect"
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

const sessionsOver = (file: string, lb: LoopbackModel, flush: FlushFile) =>
  Sessions.Default.pipe(
    Layer.provideMerge(sqliteEventLogLayer(file, {}, "background").pipe(Layer.provide(Layer.succeed(WalFlush, flush)))),
    Layer.provide(Layer.setConfigProvider(lb.configProvider({ ...fastModel, TAU_SESSION_STREAM: "false" })))
  )

/** Sessions over a fresh log whose WAL flushes are held; the loopback model answers `reply` once. */
const withHeldFlushes = <A, E>(
  reply: string,
  body: (lb: LoopbackModel, flushes: ReturnType<typeof heldFlushes>) => Effect.Effect<A, E, Sessions | EventLog>
) =>
  Effect.gen(function*() {
    const lb = yield* loopbackModel()
    const file = yield* tempSqliteFile
    const flushes = heldFlushes()
    lb.enqueue(Reply.text(reply))
    return yield* body(lb, flushes).pipe(Effect.provide(sessionsOver(file, lb, flushes.flush)))
  })

const tags = (events: ReadonlyArray<{ readonly event: { readonly _tag: string } }>) => events.map((e) => e.event._tag)

describe("a turn's model call does not wait for its request to be durable", () => {
  it.scopedLive("the model is asked while the request's append is still flushing; the answer is appended after it", () =>
    withHeldFlushes("hi back", (lb, flushes) =>
      Effect.gen(function*() {
        const sessionId = SessionId.make("ahead-1")
        const sessions = yield* Sessions
        const ask = yield* Effect.fork(sessions.ask("hello", { sessionId, source: "test" }))
        // The model got the request while [SessionStarted, UserMessageReceived, ModelRequested] still flushes.
        yield* eventually(Effect.sync(() => lb.requests.length === 1 && flushes.inFlight() === 1))
        expect(Option.isNone(yield* Fiber.poll(ask))).toBe(true)
        expect(yield* streamOf(sessionId)).toEqual([])
        flushes.finish()
        // Then the answer's append, flushed in turn.
        yield* eventually(Effect.sync(() => flushes.inFlight() === 1))
        flushes.finish()
        const reply = yield* Fiber.join(ask)
        expect(reply.reply?.content).toBe("hi back")
        expect(tags(yield* streamOf(sessionId))).toEqual([
          "SessionStarted",
          "UserMessageReceived",
          "ModelRequested",
          "ModelResponded",
          "AssistantReplied",
          "TurnCompleted"
        ])
      })))

  it.scopedLive("when the request's append fails, the answer is not recorded and the caller gets the storage error", () =>
    withHeldFlushes("never recorded", (lb, flushes) =>
      Effect.gen(function*() {
        const sessionId = SessionId.make("ahead-2")
        const sessions = yield* Sessions
        const ask = yield* Effect.fork(Effect.either(sessions.ask("hello", { sessionId, source: "test" })))
        yield* eventually(Effect.sync(() => lb.requests.length === 1 && flushes.inFlight() === 1))
        flushes.finish(new Error("EIO"))
        const result = yield* Fiber.join(ask)
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) expect(result.left._tag).toBe("SessionStorageError")
        expect(tags(yield* streamOf(sessionId))).not.toContain("ModelResponded")
      })))
})
