import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Chunk, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import { EventLog } from "../../src/events/EventLog.ts"
import { makeWalSync, WalFlush } from "../../src/events/sqlite/WalSync.ts"
import { heldFlushes } from "../support/HeldFlushes.ts"
import { sampleEvent } from "../support/Events.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { streamOf } from "./contract/helpers.ts"

/** Lets forked fibres run up to their next asynchronous wait. */
const settle = Effect.repeatN(Effect.yieldNow(), 5)

describe("WalSync (flush grouping)", () => {
  it.effect("a commit is answered only by a flush that began after it; one flush at a time; nothing is lost; readers stop below the oldest unflushed commit", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom("commit" as const, "flush" as const), { maxLength: 60 }), (steps) =>
          Effect.runPromise(Effect.gen(function*() {
            const flushes = heldFlushes()
            const wal = makeWalSync(3, flushes.flush)
            // Per commit: its first position, how many flushes had started when it committed, its fibre.
            const commits: Array<{ first: number; flushesBefore: number; fiber: Fiber.RuntimeFiber<void, unknown> }> = []
            const open = function*() {
              const out: Array<(typeof commits)[number]> = []
              for (const c of commits) if (Option.isNone(yield* Fiber.poll(c.fiber))) out.push(c)
              return out
            }
            let position = 1
            const check = function*() {
              expect(flushes.inFlight()).toBeLessThanOrEqual(1)
              const waiting = yield* open()
              expect(wal.visibleThrough()).toBe(waiting.length === 0 ? Number.MAX_SAFE_INTEGER : waiting[0]!.first - 1)
            }
            for (const step of steps) {
              if (step === "commit") {
                const first = position
                position += 1 + (position % 3)
                commits.push({ first, flushesBefore: flushes.started(), fiber: yield* Effect.fork(wal.committed(first)) })
              } else {
                const before = yield* open()
                // The finishing flush is the latest one started: whatever it answers committed before it began.
                const finishing = flushes.started()
                flushes.finish()
                yield* settle
                const after = yield* open()
                for (const c of before) if (!after.includes(c)) expect(c.flushesBefore).toBeLessThan(finishing)
              }
              yield* settle
              yield* check()
            }
            while (flushes.inFlight() > 0) {
              flushes.finish()
              yield* settle
              yield* check()
            }
            for (const c of commits) expect(Exit.isSuccess(yield* Fiber.await(c.fiber))).toBe(true)
          }))
        )
      )
    ))

  it.effect("a failed flush fails the commits waiting for it and every later one", () =>
    Effect.gen(function*() {
      const flushes = heldFlushes()
      const wal = makeWalSync(3, flushes.flush)
      const first = yield* Effect.fork(wal.committed(1))
      yield* settle
      flushes.finish(new Error("EIO"))
      const exits = [yield* Fiber.await(first), yield* Effect.exit(wal.committed(2))]
      for (const exit of exits) {
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("flushing the SQLite WAL failed (EIO)")
      }
      expect(wal.failure()?.reason).toBe("storage")
      expect(flushes.started()).toBe(1)
    }))
})

/** A fresh SQLite event log whose WAL flushes the test finishes by hand. */
const withHeldFlushes = <A, E>(body: (flushes: ReturnType<typeof heldFlushes>) => Effect.Effect<A, E, EventLog>) =>
  Effect.scoped(Effect.gen(function*() {
    const file = yield* tempSqliteFile
    const flushes = heldFlushes()
    return yield* body(flushes).pipe(
      Effect.provide(sqliteEventLogLayer(file, {}, "background").pipe(Layer.provide(Layer.succeed(WalFlush, flushes.flush))))
    )
  }))

describe("SQLite log with the WAL flushed off the event loop", () => {
  it.live("an append returns after its flush; until then no read, head or subscriber of the process sees its events", () =>
    withHeldFlushes((flushes) => Effect.gen(function*() {
      const log = yield* EventLog
      const stream = streamOf("held")

      const first = yield* Effect.fork(log.append(stream, "no_stream", [sampleEvent(1), sampleEvent(2)]))
      while (flushes.inFlight() === 0) yield* Effect.sleep("1 millis")
      const live = yield* Effect.fork(Stream.runCollect(Stream.take(log.subscribeRaw(0), 3)))
      // Committed to the WAL, not yet flushed: invisible here, and the append is not answered.
      yield* Effect.sleep("30 millis")
      expect(yield* log.readAllRaw(0, 100)).toEqual([])
      expect(yield* log.head).toBe(0)
      expect(yield* log.streamVersion(stream)).toBe(0)
      expect(yield* log.readStreamRaw(stream)).toEqual([])
      expect(Option.isNone(yield* Fiber.poll(first))).toBe(true)
      expect(Option.isNone(yield* Fiber.poll(live))).toBe(true)

      flushes.finish()
      const result = yield* Fiber.join(first)
      expect(result.positions).toEqual([1, 2])
      expect((yield* log.readAllRaw(0, 100)).map((r) => r.position)).toEqual([1, 2])
      expect(yield* log.head).toBe(2)

      // The next append queues behind nothing: a flush of its own, then the subscriber sees all three.
      const second = yield* Effect.fork(log.append(stream, result.streamVersion, [sampleEvent(3)]))
      while (flushes.inFlight() === 0) yield* Effect.sleep("1 millis")
      expect((yield* log.readAllRaw(0, 100)).length).toBe(2)
      flushes.finish()
      yield* Fiber.join(second)
      const seen = Chunk.toReadonlyArray(yield* Fiber.join(live))
      expect(seen.map((r) => r.position)).toEqual([1, 2, 3])
      expect(flushes.started()).toBe(2)
    })))

  it.live("a failed flush fails the append with a storage error, and the log refuses appends after it", () =>
    withHeldFlushes((flushes) => Effect.gen(function*() {
      const log = yield* EventLog
      const append = yield* Effect.fork(Effect.either(log.append(streamOf("eio"), "no_stream", [sampleEvent(1)])))
      while (flushes.inFlight() === 0) yield* Effect.sleep("1 millis")
      flushes.finish(new Error("EIO"))
      const failed = yield* Fiber.join(append)
      expect(failed._tag).toBe("Left")
      if (failed._tag === "Left") expect(failed.left).toMatchObject({ _tag: "EventLogError", reason: "storage" })
      const later = yield* Effect.either(log.append(streamOf("eio-2"), "no_stream", [sampleEvent(2)]))
      expect(later._tag).toBe("Left")
      // Refused before its commit: only the first append's event is in the file.
      expect((yield* log.readAllRaw(0, 100)).map((r) => r.streamId)).toEqual([streamOf("eio")])
    })))
})
