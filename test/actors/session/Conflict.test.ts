/**
 * Single writer: two copies of one session's actor (two processes on one database) can never fork its
 * stream. The copy whose append finds the stream moved gets SessionWriterConflict and stops.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { activate } from "../../../src/actors/session/Actor.ts"
import { SessionCommand } from "../../../src/actors/session/Commands.ts"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { defaultDeciderSettings } from "../../../src/actors/session/State.ts"
import { SessionId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { Reply, loopbackModel } from "../../support/LoopbackModel.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../../support/Sqlite.ts"
import { beginTurn, send, startSpec } from "./fixtures.ts"
import { sessionsLayer, streamOf, workspace } from "./runtime.ts"

const copy = (sessionId: SessionId) =>
  Effect.flatMap(EventLog, (log) =>
    activate({ log, sessionId, settings: defaultDeciderSettings, redactDeep: (a) => a }).pipe(Effect.orDie))

describe("session single writer", () => {
  it.scopedLive("two copies activated at the same version: the first append wins, the second conflicts and writes nothing", () =>
    Effect.gen(function*() {
      const file = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const sessionId = SessionId.make("twin-1")
        const a = yield* copy(sessionId)
        const b = yield* copy(sessionId)
        yield* a.execute(send("from a", startSpec()), () => {})
        const lost = yield* Effect.either(b.execute(send("from b", startSpec()), () => {}))
        expect(Either.isLeft(lost) && lost.left).toMatchObject({ _tag: "SessionWriterConflict", expected: 0, actual: 2 })
        // Later appends by the winner still go through; the loser's state did not move.
        yield* a.execute(beginTurn(), () => {})
        expect(b.current().status).toBe("new")
        const again = yield* Effect.either(b.execute(SessionCommand.Cancel({ by: "user" }), () => {}))
        expect(Either.isLeft(again) && again.left._tag).toBe("SessionNotFound")
        const stored = yield* streamOf(sessionId)
        expect(stored.map((e) => [e.streamVersion, e.event._tag])).toEqual([
          [1, "SessionStarted"],
          [2, "UserMessageReceived"],
          [3, "ModelRequested"]
        ])
        expect(stored[1]?.event).toMatchObject({ content: "from a" })
        // A copy activated later sees everything and appends after it.
        const c = yield* copy(sessionId)
        yield* c.execute(SessionCommand.Cancel({ by: "operator" }), () => {})
        expect((yield* streamOf(sessionId)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4])
      }).pipe(Effect.provide(sqliteEventLogLayer(file)))
    }))

  it.scopedLive("two Sessions services on one database sending to one session at once: the stream never forks", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const file = yield* tempSqliteFile
      const ws = yield* workspace
      for (let i = 0; i < 4; i++) lb.enqueue(Reply.text(`answer ${i}`, { delayMs: 100 }))
      const sessionId = SessionId.make("twin-2")
      const one = yield* Layer.build(sessionsLayer(file, lb))
      const two = yield* Layer.build(sessionsLayer(file, lb))
      const ask = (ctx: typeof one, text: string) =>
        Effect.flatMap(Sessions, (s) => s.ask(text, { sessionId, workspace: ws })).pipe(Effect.provide(ctx), Effect.either)
      const [r1, r2] = yield* Effect.all([ask(one, "one"), ask(two, "two")], { concurrency: 2 })
      const results = [r1, r2]
      const conflicts = results.filter((r) => Either.isLeft(r) && r.left._tag === "SessionWriterConflict")
      const succeeded = results.filter(Either.isRight)
      expect(conflicts.length + succeeded.length).toBe(2)
      expect(conflicts.length).toBeGreaterThanOrEqual(1)
      const stored = yield* streamOf(sessionId).pipe(Effect.provide(one))
      const tags = stored.map((e) => e.event._tag)
      expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, i) => i + 1))
      expect(tags.filter((t) => t === "SessionStarted")).toHaveLength(1)
      expect(tags.filter((t) => t === "UserMessageReceived")).toHaveLength(succeeded.length)
      const turns = stored.flatMap((e) => (e.event._tag === "ModelRequested" ? [e.event.turn] : []))
      expect(turns).toEqual(turns.map((_, i) => i + 1))
      // The loser's actor stopped; its next command activates a fresh copy that continues the one stream.
      const loser = Either.isLeft(r1) ? one : two
      const next = yield* ask(loser, "three")
      expect(Either.isRight(next) && next.right.reply?.content).toMatch(/^answer/)
      const after = yield* streamOf(sessionId).pipe(Effect.provide(one))
      expect(after.map((e) => e.streamVersion)).toEqual(after.map((_, i) => i + 1))
      expect(after.filter((e) => e.event._tag === "SessionStarted")).toHaveLength(1)
    }))
})
