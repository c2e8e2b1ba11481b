import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { sweepInterval } from "../../../src/actors/session/IdleSweep.ts"
import { SessionId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { rewardStream, sessionStream } from "../../../src/events/Streams.ts"
import { TauAgentPostgres, TauAgentSqlite } from "../../../src/layers/Tau.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import { describePg, freshPgDatabase } from "../../support/Pg.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"
import { eventually } from "./runtime.ts"

type Process = (overrides: Record<string, string>) => Layer.Layer<Sessions | EventLog>

const tagsOf = (sessionId: SessionId) =>
  Effect.flatMap(EventLog, (log) => log.readStream(sessionStream(sessionId))).pipe(
    Effect.map((envelopes) => envelopes.map((e) => e.event._tag))
  )

const rewardsOf = (sessionId: SessionId) =>
  Effect.flatMap(EventLog, (log) => log.readStream(rewardStream(sessionId)))

const suite = (makeProcess: Effect.Effect<(lb: LoopbackModel) => Process, never, Scope.Scope>) => {
  it.scopedLive("a session left open by an earlier process is abandoned after the idle timeout, then scored", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const process = (yield* makeProcess)(lb)
      const sessionId = SessionId.make("left-open")
      lb.enqueue(Reply.text("hello"))
      // The first process answers and stops while the session is open (chat mode) and far from its idle timeout.
      yield* Effect.scoped(Effect.gen(function*() {
        const sessions = yield* Sessions
        const reply = yield* sessions.ask("hi", { sessionId })
        assert.strictEqual(reply.status, "idle")
      }).pipe(Effect.provide(process({ TAU_SESSION_IDLE_TIMEOUT_MS: "600000" }))))
      // The next one gets no message for it; its sweep finds the session in the read model.
      yield* Effect.gen(function*() {
        yield* eventually(Effect.map(tagsOf(sessionId), (tags) => tags.at(-1) === "SessionAbandoned"), 15_000)
        const tags = yield* tagsOf(sessionId)
        assert.deepStrictEqual(tags.filter((t) => t === "SessionAbandoned"), ["SessionAbandoned"])
        yield* eventually(Effect.map(rewardsOf(sessionId), (rewards) => rewards.length > 0), 15_000)
        const sessions = yield* Sessions
        // Woken only for the check, the actor did not stay.
        yield* eventually(Effect.map(sessions.activeActors, (n) => n === 0), 10_000)
      }).pipe(Effect.provide(process({ TAU_SESSION_IDLE_TIMEOUT_MS: "300" })))
    }))

  it.scopedLive("a session whose last message came within the idle timeout is left open", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const process = (yield* makeProcess)(lb)
      lb.enqueue(Reply.text("one"), Reply.text("two"))
      yield* Effect.gen(function*() {
        const sessions = yield* Sessions
        const sessionId = SessionId.make("kept-open")
        yield* sessions.ask("1", { sessionId })
        // Several sweeps run while the session stays younger than its timeout.
        yield* Effect.sleep(Duration.times(sweepInterval(Duration.seconds(2)), 3))
        const second = yield* sessions.ask("2", { sessionId })
        assert.strictEqual(second.status, "idle")
        assert.notInclude(yield* tagsOf(sessionId), "SessionAbandoned")
      }).pipe(Effect.provide(process({ TAU_SESSION_IDLE_TIMEOUT_MS: "2000" })))
    }))
}

describe("idle sweep (SQLite)", () => {
  suite(Effect.map(tempSqliteFile, (filename) => (lb: LoopbackModel) => (overrides: Record<string, string>) =>
    TauAgentSqlite({ filename }).pipe(
      Layer.provide(Layer.setConfigProvider(lb.configProvider({ TAU_SESSION_STREAM: "false", ...overrides }))),
      Layer.orDie
    )))
})

describePg("idle sweep", () => {
  suite(Effect.map(freshPgDatabase, (url) => (lb: LoopbackModel) => (overrides: Record<string, string>) =>
    TauAgentPostgres({ url: Redacted.make(url) }).pipe(
      Layer.provide(Layer.setConfigProvider(lb.configProvider({ TAU_SESSION_STREAM: "false", ...overrides }))),
      Layer.orDie
    )))
})
