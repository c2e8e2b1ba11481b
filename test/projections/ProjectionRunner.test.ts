import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Cause, Context, Deferred, Effect, Exit, Layer, Logger, Random, Ref, Schedule, Scope } from "effect"
import { newEventId } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { UserMessageReceived } from "../../src/events/TauEvent.ts"
import type { Projection } from "../../src/projections/Projection.ts"
import { ProjectionError } from "../../src/projections/Projection.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { StreamsProjection } from "../../src/projections/StreamsProjection.ts"
import { sampleEvent, sampleSessionId } from "../support/Events.ts"
import { isCollected } from "../support/Gc.ts"
import { describePg } from "../support/Pg.ts"
import {
  foldStreams,
  pgBackend,
  readWholeLog,
  sqliteBackend,
  storedCheckpoint,
  stream,
  streamsTable,
  totalEventCount,
  world
} from "./support.ts"
import type { Backend } from "./support.ts"

const streamNames = ["session-a", "session-b", "memory-m1", "cortex", "reward-s1", "prompt-p", "trainer", "misc-1"]

const appendSome = (writer: number, appends: number) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    for (let i = 0; i < appends; i++) {
      const name = streamNames[yield* Random.nextIntBetween(0, streamNames.length)]!
      const count = yield* Random.nextIntBetween(1, 4)
      const events = Array.from({ length: count }, (_, k) => sampleEvent(writer * 10_000 + i * 10 + k))
      yield* log.append(stream(name), "any", events)
    }
  })

const within = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.timeoutFail(self, {
  duration: "20 seconds",
  onTimeout: () => new Error("timed out waiting for the projection")
})

/** The streams projection with another `apply`, and an `applyAll` that runs it event by event (so a page's run fails as the event does). */
const streamsWith = (apply: Projection["apply"], more: Partial<Projection> = {}): Projection => ({
  ...StreamsProjection,
  ...more,
  apply,
  applyAll: (envelopes) => Effect.forEach(envelopes, apply, { discard: true })
})

/** A streams projection that refuses (after writing) user messages whose content is "poison". */
const poisonous: Projection = streamsWith((envelope) =>
  envelope.event._tag === "UserMessageReceived" && envelope.event.content === "poison"
    ? Effect.zipRight(
      StreamsProjection.apply(envelope),
      Effect.fail(new ProjectionError({ projection: "streams", message: "refusing poison" }))
    )
    : StreamsProjection.apply(envelope))

const runnerSuite = (backend: Backend) => {
  it.scopedLive("a projection built live equals the same projection rebuilt from scratch, row for row", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        yield* appendSome(99, 5)
        // Four writers append concurrently while the projection follows live.
        yield* Effect.all([0, 1, 2, 3].map((w) => appendSome(w, 25)), { concurrency: "unbounded" })
        const head = yield* log.head
        yield* within(runner.waitFor(head))
        const live = yield* streamsTable
        assert.isAbove(live.length, 4)

        yield* runner.rebuild("streams")
        const rebuilt = yield* streamsTable
        assert.deepStrictEqual(rebuilt, live)

        const [status] = yield* runner.status()
        assert.strictEqual(status!.position, head)
        assert.strictEqual(status!.lag, 0)
        assert.strictEqual(status!.state, "live")
        assert.strictEqual(yield* totalEventCount, head)

        // The live fibre was restarted after the rebuild.
        const after = yield* log.append(stream("session-a"), "any", [sampleEvent(1)])
        yield* within(runner.waitFor(after.positions[0]!))
        assert.strictEqual(yield* totalEventCount, head + 1)
      }).pipe(Effect.provide(world(database(), [StreamsProjection], { live: true, pageSize: 16 })))
    }))

  it.scopedLive("the live fibres a rebuild restarts keep nothing of the caller that asked for it", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      class RequestContext extends Context.Tag("test/RequestContext")<RequestContext, { readonly body: Uint8Array }>() {}
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        yield* appendSome(7, 5)
        // Made when the rebuild runs, so that nothing here holds the caller's context once it has returned.
        const rebuild = Effect.suspend(() => {
          const request = { body: new Uint8Array(1 << 20) }
          return runner.rebuild("streams").pipe(Effect.provideService(RequestContext, request), Effect.as(new WeakRef(request)))
        })
        const request = yield* rebuild
        assert.isTrue(yield* isCollected(request))
        // And the restarted fibres follow the log.
        const after = yield* log.append(stream("session-a"), "any", [sampleEvent(2)])
        yield* within(runner.waitFor(after.positions[0]!))
      }).pipe(Effect.provide(world(database(), [StreamsProjection], { live: true, pageSize: 16 })))
    }))

  it.scopedLive("exactly once across a crash in the middle of a page", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const total = 200
      const gate = yield* Deferred.make<void>()
      const gated: Projection = streamsWith((envelope) =>
        envelope.position === 120
          ? Effect.zipRight(Deferred.succeed(gate, undefined), Effect.never)
          : StreamsProjection.apply(envelope))

      yield* Effect.gen(function*() {
        const log = yield* EventLog
        for (let i = 0; i < total; i += 5) {
          const events = [0, 1, 2, 3, 4].map((k) => sampleEvent(i + k))
          yield* log.append(stream(streamNames[(i / 5) % 5]!), "any", events)
        }
      }).pipe(Effect.provide(database()))

      // First "process": follows live with pages of 50, hangs inside the page 101..150 at position 120, dies.
      const process = yield* Scope.make()
      yield* Layer.buildWithScope(world(database(), [gated], { live: true, pageSize: 50 }), process)
      yield* within(Deferred.await(gate))
      yield* Scope.close(process, Exit.void)

      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* storedCheckpoint("streams"), { version: 1, position: 100 })
        assert.strictEqual(yield* totalEventCount, 100)
      }).pipe(Effect.provide(database()))

      // Second "process": catches up from the checkpoint; nothing is counted twice.
      yield* Effect.gen(function*() {
        const runner = yield* ProjectionRunner
        yield* runner.catchUp()
        assert.strictEqual(yield* totalEventCount, total)
        const rows = yield* streamsTable
        assert.deepStrictEqual(rows.map((r) => Number(r.event_count)), [40, 40, 40, 40, 40])
        assert.deepStrictEqual(yield* storedCheckpoint("streams"), { version: 1, position: total })
      }).pipe(Effect.provide(world(database(), [StreamsProjection], { pageSize: 50 })))
    }))

  it.scopedLive("a poison event is dead-lettered with its cause and the projection continues", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        const session = sampleSessionId()
        const s = stream("session-p")
        yield* log.append(s, "any", [sampleEvent(1, session), sampleEvent(2, session)])
        const poison = yield* log.append(s, "any", [new UserMessageReceived({ sessionId: session, content: "poison" })])
        const last = yield* log.append(s, "any", [sampleEvent(3, session), sampleEvent(4, session)])
        yield* within(runner.waitFor(last.positions[1]!))

        const [status] = yield* runner.status()
        assert.strictEqual(status!.deadLetters, 1)
        assert.strictEqual(status!.position, 5)
        assert.strictEqual(status!.state, "live")

        const [letter] = yield* runner.deadLetters("streams")
        assert.strictEqual(letter!.position, poison.positions[0])
        assert.strictEqual(letter!.type, "UserMessageReceived")
        assert.include(letter!.error, "refusing poison")

        // The poison event's own writes were rolled back; its neighbours in the same page were applied.
        const [row] = yield* streamsTable
        assert.strictEqual(Number(row!.event_count), 4)
        assert.strictEqual(Number(row!.version), 5)

        // An event this build cannot decode is dead-lettered too.
        yield* log.appendEncoded(stream("session-q"), "any", [{
          eventId: newEventId(),
          type: "NoSuchEvent",
          schemaVersion: 1,
          data: "{}",
          metadata: {}
        }])
        yield* within(runner.waitFor(6))
        const letters = yield* runner.deadLetters()
        assert.strictEqual(letters.length, 2)
        assert.include(letters[1]!.error, "EventDecodeError")
        const [after] = yield* runner.status()
        assert.strictEqual(after!.deadLetters, 2)

        // A rebuild starts over: the same poison is dead-lettered once again, not twice.
        yield* runner.rebuild()
        const [rebuilt] = yield* runner.status()
        assert.strictEqual(rebuilt!.deadLetters, 2)
        assert.strictEqual(rebuilt!.position, 6)
      }).pipe(Effect.provide(world(database(), [poisonous], { live: true })))
    }))

  it.scopedLive("a version bump rebuilds from position 1 on start", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* appendSome(0, 10)
        yield* (yield* ProjectionRunner).catchUp()
        yield* sql`INSERT INTO tau_streams VALUES ('zz-stale', 'other', 1, 1, 1, 1, 'X', ${new Date().toISOString()})`
      }).pipe(Effect.provide(world(database(), [StreamsProjection])))

      const applied = yield* Ref.make(0)
      const counting = (version: number): Projection =>
        streamsWith((envelope) => Effect.zipRight(Ref.update(applied, (n) => n + 1), StreamsProjection.apply(envelope)), {
          version
        })

      yield* Effect.gen(function*() {
        const runner = yield* ProjectionRunner
        const [status] = yield* runner.status()
        assert.strictEqual(status!.position, 0)
        assert.strictEqual(status!.version, 2)
        yield* runner.catchUp()
        const log = yield* readWholeLog
        assert.strictEqual(yield* Ref.get(applied), log.length)
        assert.deepStrictEqual(yield* storedCheckpoint("streams"), { version: 2, position: log.length })
        const rows = yield* streamsTable
        assert.isFalse(rows.some((r) => r.stream_id === "zz-stale"))
        assert.strictEqual(rows.length, foldStreams(log).length)
      }).pipe(Effect.provide(world(database(), [counting(2)])))

      // Same version again: nothing to redo.
      yield* Ref.set(applied, 0)
      yield* Effect.gen(function*() {
        yield* (yield* ProjectionRunner).catchUp()
        assert.strictEqual(yield* Ref.get(applied), 0)
      }).pipe(Effect.provide(world(database(), [counting(2)])))
    }))

  it.scopedLive("a failing live loop is logged with its cause and retried, then catches up without double counting", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      const errors: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ cause, logLevel, message }) => {
          if (logLevel._tag === "Error") {
            errors.push(`${String(message)} ${Cause.pretty(cause, { renderErrorCause: true })}`)
          }
        })
      )
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        yield* appendSome(0, 3)
        yield* within(runner.waitFor(yield* log.head))

        // The runner's own table disappears: every page now fails until it is back.
        yield* sql`ALTER TABLE tau_projection_checkpoints RENAME TO tau_projection_checkpoints_away`
        yield* appendSome(1, 5)
        yield* within(
          Effect.repeat(Effect.sync(() => errors.length), { until: (n) => n >= 2, schedule: Schedule.spaced("50 millis") })
        )
        yield* sql`ALTER TABLE tau_projection_checkpoints_away RENAME TO tau_projection_checkpoints`

        const head = yield* log.head
        yield* within(runner.waitFor(head))
        assert.strictEqual(yield* totalEventCount, head)
        assert.include(errors[0]!, "projection loop failed")
        assert.include(errors[0]!, "tau_projection_checkpoints")
      }).pipe(Effect.provide(world(database(), [StreamsProjection], { live: true }).pipe(Layer.provide(capture))))
    }))
}

describe("ProjectionRunner [sqlite]", () => runnerSuite(sqliteBackend))
describePg("ProjectionRunner", () => {
  runnerSuite(pgBackend)

  it.scopedLive("two processes running the same projection on one database still apply each event once", () =>
    Effect.gen(function*() {
      const database = yield* pgBackend.fresh
      // Both start at once on an empty database: both try to create the projection's tables.
      const [first, second] = yield* Effect.all([
        Layer.build(world(database(), [StreamsProjection], { live: true, pageSize: 7 })),
        Layer.build(world(database(), [StreamsProjection], { live: true, pageSize: 5 }))
      ], { concurrency: 2 })
      yield* Effect.all([0, 1, 2, 3].map((w) => appendSome(w, 20)), { concurrency: "unbounded" }).pipe(
        Effect.provide(first)
      )
      yield* Effect.gen(function*() {
        const head = yield* (yield* EventLog).head
        // Either process may have applied any page; wait until the stored checkpoint reaches the head.
        yield* within(Effect.repeat(storedCheckpoint("streams"), {
          until: (c) => c?.position === head,
          schedule: Schedule.spaced("50 millis")
        }))
        yield* (yield* ProjectionRunner).catchUp()
        assert.strictEqual(yield* totalEventCount, head)
        const expected = foldStreams(yield* readWholeLog)
        const rows = yield* streamsTable
        assert.deepStrictEqual(rows.map((r) => [r.stream_id, Number(r.event_count)]), expected.map((e) => [e.streamId, e.eventCount]))
      }).pipe(Effect.provide(second))
    }))
})
