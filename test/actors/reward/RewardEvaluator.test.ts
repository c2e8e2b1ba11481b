import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Schedule } from "effect"
import { SqlClient } from "@effect/sql"
import { RewardEvaluator } from "../../../src/actors/reward/RewardEvaluator.ts"
import { Rescorer } from "../../../src/actors/reward/Rescorer.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { rewardStream, sessionStream } from "../../../src/events/Streams.ts"
import { defaultEvaluatorConfig } from "../../../src/learning/reward/DefaultConfig.ts"
import { evaluatorRef } from "../../../src/learning/reward/EvaluatorConfig.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { RewardsQuery } from "../../../src/projections/RewardsQuery.ts"
import { sessionPlan } from "../../learning/reward/arbitraries.ts"
import { session } from "../../learning/reward/SessionBuilder.ts"
import { describePg } from "../../support/Pg.ts"
import { type Backend, pgBackend, sqliteBackend } from "../../projections/support.ts"
import { appendSessions, planned, rewardWorld, sid, storedRewards } from "./support.ts"

const hash = evaluatorRef(defaultEvaluatorConfig).hash

const endedSession = (id: string, message = "Fix the failing test in parser.ts") =>
  session(id).user(message).agentTurn({ tools: [{ name: "read_file" }] }).agentTurn({ reply: "Done." }).completed()
    .events

const catchUpAll = Effect.gen(function*() {
  yield* (yield* RewardEvaluator).catchUp()
  yield* (yield* ProjectionRunner).catchUp()
})

const liveTable = Effect.flatMap(RewardsQuery, (q) => q.sessions(hash))

const tests = (backend: Backend) => {
  it.scoped("one reward per ended session, none for a running one; a second catch-up and a restart append nothing", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const head = yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* log.append(sessionStream(sid("a")), "any", endedSession("a"))
        yield* log.append(sessionStream(sid("b")), "any", endedSession("b", "What is a monad?"))
        yield* log.append(sessionStream(sid("c")), "any", session("c").user("hello").agentTurn({}).events)
        yield* catchUpAll
        const rewards = yield* storedRewards([sid("a"), sid("b"), sid("c")])
        const sessionLevel = rewards.filter((r) => r.turn === undefined)
        assert.deepStrictEqual(sessionLevel.map((r) => [r.sessionId, r.revision]), [["a", 1], ["b", 1]])
        // Turn-level credit for each completed turn.
        assert.deepStrictEqual(rewards.filter((r) => r.sessionId === "a" && r.turn !== undefined).map((r) => r.turn), [1, 2])
        // Causation: the ending event.
        const ending = (yield* log.readStream(sessionStream(sid("a")))).at(-1)!
        assert.strictEqual(sessionLevel[0]!.causationId, ending.eventId)
        const head = yield* log.head
        yield* catchUpAll
        assert.strictEqual(yield* log.head, head)
        return head
      }).pipe(Effect.provide(rewardWorld(database())))
      // A new process on the same database.
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* catchUpAll
        assert.strictEqual(yield* log.head, head)
        assert.strictEqual((yield* liveTable).length, 2)
        // Lose the actor's state and checkpoint (a crash between append and checkpoint, repeated for all):
        // re-evaluating everything appends nothing, thanks to the deterministic ids.
        const sql = yield* SqlClient.SqlClient
        yield* sql`DELETE FROM tau_reward_actor_sessions`
        yield* sql`DELETE FROM tau_projection_checkpoints WHERE name LIKE 'actor:reward:%'`
      }).pipe(Effect.provide(rewardWorld(database())))
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* catchUpAll
        assert.strictEqual(yield* log.head, head)
        assert.strictEqual((yield* storedRewards([sid("a"), sid("b")])).filter((r) => r.turn === undefined).length, 2)
      }).pipe(Effect.provide(rewardWorld(database())))
    }))

  it.scoped("feedback after the reward gives revision 2 and keeps revision 1; the table shows the latest", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const stream = sessionStream(sid("a"))
        yield* log.append(stream, "any", endedSession("a"))
        yield* catchUpAll
        const before = (yield* liveTable)[0]!
        assert.strictEqual(before.revision, 1)
        const feedback = session("a").feedback(-1).events.at(-1)!
        yield* log.append(stream, "any", [feedback])
        yield* catchUpAll
        const rewards = (yield* storedRewards([sid("a")])).filter((r) => r.turn === undefined)
        assert.deepStrictEqual(rewards.map((r) => r.revision), [1, 2])
        assert.isTrue(rewards[1]!.composite < rewards[0]!.composite)
        const after = (yield* liveTable)[0]!
        assert.strictEqual(after.revision, 2)
        assert.strictEqual(after.composite, rewards[1]!.composite)
        assert.strictEqual(after.dimensions["explicit_feedback"], -1)
        assert.notStrictEqual(rewards[0]!.eventId, rewards[1]!.eventId)
      }).pipe(Effect.provide(rewardWorld(database())))
    }))

  it.scopedLive("the live actor scores a session that ends while it runs", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* log.append(sessionStream(sid("live")), "any", endedSession("live"))
        // repeat returns the schedule's output (a count, 0 when the first read already sees the reward), so the
        // version is read again afterwards.
        yield* log.streamVersion(rewardStream(sid("live"))).pipe(
          Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (v) => v > 0 }),
          Effect.timeout("10 seconds")
        )
        assert.isTrue((yield* log.streamVersion(rewardStream(sid("live")))) > 0)
      }).pipe(Effect.provide(rewardWorld(database(), { live: true })))
    }), 20_000)

  it.scoped("rescoring with the live configuration reproduces the live table exactly; rebuilt tables equal live ones", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const plans = fc.sample(fc.array(sessionPlan, { minLength: 20, maxLength: 40 }), { numRuns: 1, seed: 42 })[0]!
      const sessions = plans.map(planned)
      yield* Effect.gen(function*() {
        yield* appendSessions(sessions)
        yield* catchUpAll
        const live = yield* liveTable
        assert.strictEqual(live.length, sessions.filter((s) => s.ends).length)
        const report = yield* (yield* Rescorer).rescore(defaultEvaluatorConfig)
        assert.strictEqual(report.rescored, live.length)
        assert.strictEqual(report.diff.sessions, live.length)
        assert.strictEqual(report.diff.meanAbsoluteShift, 0)
        assert.strictEqual(report.diff.signFlips.length, 0)
        const sql = yield* SqlClient.SqlClient
        const rescored = yield* sql<{ session_id: string; revision: number; composite: number; confidence: number; dimensions: string }>`
          SELECT session_id, revision, composite, confidence, dimensions FROM tau_rescores
          WHERE evaluator_hash = ${hash} ORDER BY session_id`
        const expected = [...live].sort((a, b) => a.sessionId < b.sessionId ? -1 : 1).map((r) => ({
          session_id: r.sessionId,
          revision: r.revision,
          composite: r.composite,
          confidence: r.confidence,
          dimensions: r.dimensions
        }))
        assert.deepStrictEqual(
          rescored.map((r) => ({ ...r, revision: Number(r.revision), composite: Number(r.composite), confidence: Number(r.confidence), dimensions: JSON.parse(r.dimensions) })),
          expected
        )
        const groups = yield* (yield* RewardsQuery).groups({ by: "category" })
        yield* (yield* ProjectionRunner).rebuild("rewards")
        assert.deepStrictEqual(yield* liveTable, live)
        assert.deepStrictEqual(yield* (yield* RewardsQuery).groups({ by: "category" }), groups)
      }).pipe(Effect.provide(rewardWorld(database())))
    }), 60_000)
}

describe("RewardEvaluator (SQLite)", () => tests(sqliteBackend))
describePg("RewardEvaluator (PostgreSQL)", () => tests(pgBackend))
