/**
 * Live subscribers on SQLite share the rows of each local commit instead of each querying storage; one that
 * falls behind or sees a gap (another process's commit) reads storage and rejoins without skips or repeats.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Chunk, Duration, Effect, Either, Fiber, Layer, Stream } from "effect"
import { encodeEvent } from "../../src/events/Codec.ts"
import type { RecordedEvent } from "../../src/events/Envelope.ts"
import { decodeRecorded, makeEventLog } from "../../src/events/EventLogCore.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import type { LogStorage } from "../../src/events/LogStorage.ts"
import * as SqliteLogStorage from "../../src/events/sqlite/SqliteLogStorage.ts"
import { newEventId } from "../../src/domain/Ids.ts"
import { sampleEvent, sampleSessionStarted } from "../support/Events.ts"
import { sqliteDatabaseLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { collectAll, eventsFrom, streamOf } from "./contract/helpers.ts"

/** A log over SQLite storage on `file` whose readAll calls are counted; each call is a separate "process". */
const openLog = (file: string, counter: { reads: number }) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(sqliteDatabaseLayer(file, "NORMAL"))
    const storage = yield* SqliteLogStorage.make().pipe(Effect.provide(context))
    const counted: LogStorage = {
      ...storage,
      readAll: (from, limit) => Effect.zipRight(Effect.sync(() => counter.reads++), storage.readAll(from, limit))
    }
    return yield* makeEventLog(counted, { ...defaultEventLogOptions, pollInterval: Duration.millis(50) })
  })

const collect = <A, E>(stream: Stream.Stream<A, E>, n: number) =>
  Effect.fork(stream.pipe(Stream.take(n), Stream.runCollect, Effect.map(Chunk.toReadonlyArray)))

describe("shared live tail (SQLite)", () => {
  it.live("caught-up subscribers get each commit without querying storage", () =>
    Effect.scoped(Effect.gen(function*() {
      const counter = { reads: 0 }
      const log = yield* openLog(yield* tempSqliteFile, counter)
      const subscribers = yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), () =>
        collect(log.subscribeRaw(1), 40))
      yield* Effect.sleep(Duration.millis(20))
      const before = counter.reads
      for (let i = 0; i < 40; i++) yield* log.append(streamOf("s"), "any", [sampleEvent(i)])
      const all = yield* collectAll(log)
      for (const fiber of subscribers) {
        expect(eventsFrom(yield* Fiber.join(fiber).pipe(Effect.timeout("10 seconds")))).toEqual(eventsFrom(all))
      }
      // 8 subscribers × 40 commits would be 320 queries without sharing; allow for the odd poll.
      expect(counter.reads - before).toBeLessThan(20)
    })))

  it.live("a shared row decodes to the instance this process appended, equal to what storage decodes", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = yield* openLog(yield* tempSqliteFile, { reads: 0 })
      const live = yield* collect(log.subscribeRaw(1), 4)
      yield* Effect.sleep(Duration.millis(20))
      const appended = [sampleSessionStarted(), sampleEvent(1), sampleEvent(2)]
      yield* log.append(streamOf("s"), "any", appended)
      // Encoded elsewhere (an import): no instance to share, so its row is decoded.
      const imported = encodeEvent(sampleEvent(3))
      yield* log.appendEncoded(streamOf("s"), "any", [{ eventId: newEventId(), ...imported, metadata: {} }])
      const decode = (row: RecordedEvent) => Either.getOrThrow(decodeRecorded(row)).event
      const rows = yield* Fiber.join(live).pipe(Effect.timeout("10 seconds"))
      const stored = yield* collectAll(log)
      appended.forEach((event, i) => expect(decode(rows[i]!)).toBe(event))
      expect(rows.map(decode)).toEqual(stored.map(decode))
    })))

  it.live("a shared row reads as a stored one: its data (parsed when first read) survives a spread and JSON", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = yield* openLog(yield* tempSqliteFile, { reads: 0 })
      const live = yield* collect(log.subscribeRaw(1), 3)
      yield* Effect.sleep(Duration.millis(20))
      yield* log.append(streamOf("s"), "any", [sampleSessionStarted(), sampleEvent(1), sampleEvent(2)])
      const rows = yield* Fiber.join(live).pipe(Effect.timeout("10 seconds"))
      const stored = yield* log.readAllRaw(1, 10)
      expect(rows.map((row) => ({ ...row }))).toEqual(stored.map((row) => ({ ...row })))
      expect(rows.map((row) => JSON.stringify(row))).toEqual(stored.map((row) => JSON.stringify(row)))
      // Read twice: the same parsed value.
      expect(rows[1]!.data).toBe(rows[1]!.data)
    })))

  it.live("a subscriber too slow for the shared tail catches up from storage without skips or repeats", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = yield* openLog(yield* tempSqliteFile, { reads: 0 })
      const slow = yield* collect(log.subscribeRaw(1).pipe(Stream.tap(() => Effect.sleep(Duration.millis(1)))), 300)
      const fast = yield* collect(log.subscribeRaw(1), 300)
      yield* Effect.sleep(Duration.millis(20))
      for (let i = 0; i < 300; i++) yield* log.append(streamOf(`s${i % 5}`), "any", [sampleEvent(i)])
      const all = eventsFrom(yield* collectAll(log))
      expect(eventsFrom((yield* Fiber.join(fast)))).toEqual(all)
      expect(eventsFrom((yield* Fiber.join(slow).pipe(Effect.timeout("20 seconds"))))).toEqual(all)
    })))

  it.live("commits of another process in between are read from storage, in order", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const local = yield* openLog(file, { reads: 0 })
      const other = yield* openLog(file, { reads: 0 })
      const subscriber = yield* collect(local.subscribeRaw(1), 60)
      yield* Effect.sleep(Duration.millis(20))
      for (let i = 0; i < 30; i++) {
        yield* (i % 3 === 0 ? other : local).append(streamOf("mixed"), "any", [sampleEvent(i)])
        yield* local.append(streamOf(`l${i % 2}`), "any", [sampleEvent(100 + i)])
      }
      const all = eventsFrom(yield* collectAll(local))
      expect(eventsFrom((yield* Fiber.join(subscriber).pipe(Effect.timeout("10 seconds"))))).toEqual(all)
    })))
})

describe("lingering subscribers", () => {
  it.live("commits arriving within the linger come as one chunk; without it, one chunk per commit", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = yield* openLog(yield* tempSqliteFile, { reads: 0 })
      const chunksOf = (linger: Effect.Effect<void> | undefined) =>
        Effect.fork(log.subscribeRaw(1, { linger }).pipe(
          Stream.chunks,
          Stream.map((chunk) => Chunk.toReadonlyArray(chunk).map((r) => r.position as number)),
          Stream.take(1),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray)
        ))
      const gathered = yield* chunksOf(Effect.sleep(Duration.millis(1000)))
      const eager = yield* chunksOf(undefined)
      yield* Effect.sleep(Duration.millis(30))
      for (let i = 0; i < 3; i++) {
        yield* log.append(streamOf("l"), "any", [sampleEvent(i)])
        yield* Effect.sleep(Duration.millis(60))
      }
      expect(yield* Fiber.join(gathered)).toEqual([[1, 2, 3]])
      expect(yield* Fiber.join(eager)).toEqual([[1]])
    })))

  it.live("random appends and pauses against lingering subscribers from random positions: each sees exactly readAll from its start", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ events: fc.integer({ min: 1, max: 3 }), pauseMs: fc.constantFrom(0, 0, 1, 3, 8) }), {
            minLength: 5,
            maxLength: 40
          }),
          fc.array(fc.record({ from: fc.integer({ min: 1, max: 30 }), lingerMs: fc.integer({ min: 0, max: 15 }) }), {
            minLength: 1,
            maxLength: 4
          }),
          (steps, subscribers) =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              const log = yield* openLog(yield* tempSqliteFile, { reads: 0 })
              yield* log.append(streamOf("seed"), "any", Array.from({ length: 10 }, (_, k) => sampleEvent(k)))
              const seen = subscribers.map(() => [] as Array<RecordedEvent>)
              yield* Effect.forEach(subscribers, ({ from, lingerMs }, i) =>
                log.subscribeRaw(from, { linger: Effect.sleep(Duration.millis(lingerMs)), pageSize: 4 }).pipe(
                  Stream.runForEach((row) => Effect.sync(() => seen[i]!.push(row))),
                  Effect.forkScoped
                ))
              for (const [i, step] of steps.entries()) {
                yield* log.append(streamOf(`p${i % 5}`), "any", Array.from({ length: step.events }, (_, k) => sampleEvent(k)))
                if (step.pauseMs > 0) yield* Effect.sleep(Duration.millis(step.pauseMs))
              }
              const all = yield* collectAll(log)
              const head = all.at(-1)!.position
              for (const [i, { from }] of subscribers.entries()) {
                const expected = all.filter((r) => r.position >= from)
                const deadline = Date.now() + 5000
                while ((seen[i]!.at(-1)?.position ?? 0) < head && Date.now() < deadline) yield* Effect.sleep(Duration.millis(5))
                expect(eventsFrom(seen[i]!)).toEqual(eventsFrom(expected))
              }
            })))
        ),
        { numRuns: 8 }
      )
    ), 60_000)
})
