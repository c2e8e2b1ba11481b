/**
 * The contract every EventLog backend obeys. Register it once per backend:
 *
 *   eventLogContract("sqlite", Effect.map(tempSqliteFile, (file) => () => sqliteEventLogLayer(file)))
 *   eventLogContract("postgres", Effect.map(freshPgDatabase, (url) => () => pgEventLogLayer(url)))
 *
 * `freshDatabase` creates an empty database for one test (dropped with the test's scope) and returns `open`:
 * each `open()` is a new layer over that same database, so providing it twice is "close, then reopen".
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, FastCheck as fc, Fiber, Option, Stream } from "effect"
import type { Layer, Scope } from "effect"
import { EventId } from "../../../src/domain/Ids.ts"
import type { ExpectedVersion } from "../../../src/events/Envelope.ts"
import { EventIdConflict, StreamVersionConflict } from "../../../src/events/Errors.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import type { EventLogService } from "../../../src/events/EventLog.ts"
import { sampleEvent, sampleSessionId } from "../../support/Events.ts"
import { collectAll, eventsFrom, expectGapFree, streamOf, v } from "./helpers.ts"

export type OpenDatabase = () => Layer.Layer<EventLog, unknown>

export interface ContractOptions {
  /** fast-check runs per property (each run creates a database). Default 15. */
  readonly numRuns?: number
  /** Concurrent writer fibres in the subscribe-under-load tests. Default 4. */
  readonly writers?: number
}

const withLog = <A, E>(open: OpenDatabase, f: (log: EventLogService) => Effect.Effect<A, E>) =>
  Effect.flatMap(EventLog, f).pipe(Effect.provide(open()))

export const eventLogContract = (
  name: string,
  freshDatabase: Effect.Effect<OpenDatabase, unknown, Scope.Scope>,
  options: ContractOptions = {}
) => {
  const numRuns = options.numRuns ?? 15
  const writers = options.writers ?? 4

  /** A test body against a fresh database, opened once. */
  const withFresh = <A, E>(f: (log: EventLogService, open: OpenDatabase) => Effect.Effect<A, E>) =>
    Effect.scoped(Effect.flatMap(freshDatabase, (open) => withLog(open, (log) => f(log, open))))

  describe(`EventLog contract: ${name}`, () => {
    it.live("appends and reads back by stream and globally", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const a = streamOf("a")
          const b = streamOf("b")
          const sessionId = sampleSessionId()
          const events = [0, 1, 2].map((i) => sampleEvent(i, sessionId))
          const ra = yield* log.append(a, "no_stream", events)
          expect(ra).toEqual({ streamId: a, positions: [1, 2, 3], streamVersion: 3, written: true })
          const rb = yield* log.append(b, "no_stream", [sampleEvent(3), sampleEvent(4)])
          expect(rb.positions).toEqual([4, 5])

          const stream = yield* log.readStream(a)
          expect(stream.map((e) => e.streamVersion)).toEqual([1, 2, 3])
          expect(stream.map((e) => e.event)).toEqual(events)
          expect((yield* log.readStream(a, 2)).map((e) => e.streamVersion)).toEqual([2, 3])
          expect((yield* log.readStreamRaw(a, 1, 1)).map((e) => e.streamVersion)).toEqual([1])
          expect((yield* log.readStreamRaw(a, 2, 5)).map((e) => e.streamVersion)).toEqual([2, 3])
          expect(yield* log.readStream(streamOf("missing"))).toEqual([])

          const all = yield* log.readAll(1, 100)
          expect(all.map((e) => [e.position, e.streamId, e.streamVersion])).toEqual([
            [1, a, 1],
            [2, a, 2],
            [3, a, 3],
            [4, b, 1],
            [5, b, 2]
          ])
          expect(all[0]!.type).toBe("UserMessageReceived")
          expect(all[0]!.schemaVersion).toBeGreaterThanOrEqual(1)
          expect(yield* log.head).toBe(5)
          expect(yield* log.streamVersion(a)).toBe(3)
          expect(yield* log.streamVersion(streamOf("missing"))).toBe(0)

          const stats = yield* log.stats
          expect(stats.events).toBe(5)
          expect(stats.streams).toBe(2)
          expect(stats.head).toBe(5)
          expect(stats.bytes).toBeGreaterThan(0)
          expect(stats.byType).toEqual([{ type: "UserMessageReceived", count: 5 }])
        })
      ))

    it.live("an empty log has head 0 and reads nothing", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          expect(yield* log.head).toBe(0)
          expect(yield* log.readAll(0, 10)).toEqual([])
          const stats = yield* log.stats
          expect([stats.events, stats.streams, stats.head, stats.byType.length]).toEqual([0, 0, 0, 0])
        })
      ))

    it.live("expected version: exact number, no_stream and any", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const s = streamOf("s")
          yield* log.append(s, "no_stream", [sampleEvent(1)])
          expect((yield* log.append(s, v(1), [sampleEvent(2)])).streamVersion).toBe(2)
          expect((yield* log.append(s, "any", [sampleEvent(3)])).streamVersion).toBe(3)
          expect((yield* log.append(streamOf("fresh-any"), "any", [sampleEvent(4)])).streamVersion).toBe(1)
          const noStream = yield* Effect.flip(log.append(s, "no_stream", [sampleEvent(5)]))
          expect(noStream).toBeInstanceOf(StreamVersionConflict)
          expect(noStream).toMatchObject({ streamId: s, expected: "no_stream", actual: 3 })
          const missing = yield* Effect.flip(log.append(streamOf("missing"), v(2), [sampleEvent(6)]))
          expect(missing).toMatchObject({ _tag: "StreamVersionConflict", expected: 2, actual: 0 })
        })
      ))

    it.live("a version conflict carries expected and actual and writes nothing", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const s = streamOf("s")
          yield* log.append(s, "no_stream", [sampleEvent(1), sampleEvent(2)])
          const headBefore = yield* log.head
          const error = yield* Effect.flip(log.append(s, v(1), [sampleEvent(3), sampleEvent(4)]))
          expect(error).toBeInstanceOf(StreamVersionConflict)
          expect(error).toMatchObject({ streamId: s, expected: 1, actual: 2 })
          expect(yield* log.head).toBe(headBefore)
          expect((yield* log.readStream(s)).length).toBe(2)
        })
      ))

    it.live("an idempotent retry returns the stored positions and writes nothing, also after reopening", () =>
      Effect.scoped(Effect.gen(function*() {
        const open = yield* freshDatabase
        const s = streamOf("s")
        const batch = [0, 1, 2].map((i) => ({ event: sampleEvent(i), eventId: EventId.make(`retry-${i}`) }))
        const first = yield* withLog(open, (log) =>
          Effect.gen(function*() {
            yield* log.append(streamOf("other"), "no_stream", [sampleEvent(9)])
            const first = yield* log.append(s, "no_stream", batch)
            expect(first.written).toBe(true)
            const again = yield* log.append(s, "no_stream", batch)
            expect(again).toEqual({ ...first, written: false })
            // The expected version is irrelevant to a retry: the events are already there.
            expect(yield* log.append(s, v(7), batch)).toEqual({ ...first, written: false })
            expect(yield* log.head).toBe(4)
            return first
          }))
        yield* withLog(open, (log) =>
          Effect.gen(function*() {
            expect(yield* log.append(s, "no_stream", batch)).toEqual({ ...first, written: false })
            expect(yield* log.head).toBe(4)
            expect((yield* log.readStream(s)).map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId))
          }))
      })))

    it.live("the same event id with other content, on another stream or in a partial batch is an EventIdConflict", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const s = streamOf("s")
          const id = EventId.make("fixed-id")
          yield* log.append(s, "no_stream", [{ event: sampleEvent(1), eventId: id }])
          const head = yield* log.head
          const differs = yield* Effect.flip(log.append(s, "any", [{ event: sampleEvent(2), eventId: id }]))
          expect(differs).toBeInstanceOf(EventIdConflict)
          expect(differs).toMatchObject({ eventId: id, reason: "content-differs" })
          const original = (yield* log.readStream(s))[0]!.event
          const elsewhere = yield* Effect.flip(log.append(streamOf("t"), "any", [{ event: original, eventId: id }]))
          expect(elsewhere).toMatchObject({ _tag: "EventIdConflict", reason: "content-differs" })
          const partial = yield* Effect.flip(
            log.append(s, "any", [{ event: original, eventId: id }, { event: sampleEvent(3), eventId: EventId.make("new-id") }])
          )
          expect(partial).toMatchObject({ _tag: "EventIdConflict", reason: "partial-batch" })
          expect(yield* log.head).toBe(head)
        })
      ))

    it.live("duplicate event ids inside one append fail it and write nothing", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const id = EventId.make("twice")
          const error = yield* Effect.flip(
            log.append(streamOf("s"), "no_stream", [{ event: sampleEvent(1), eventId: id }, { event: sampleEvent(2), eventId: id }])
          )
          expect(error).toMatchObject({ _tag: "EventIdConflict", eventId: id, reason: "duplicate-in-append" })
          expect(yield* log.head).toBe(0)
        })
      ))

    it.live("group commit: 64 concurrent callers each get their own result; one winner per expected version", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const streams = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => streamOf(`g${k}`))
          // Stream k starts at version k, so every fibre's expected version differs per stream.
          for (const [k, s] of streams.entries()) {
            if (k > 0) yield* log.append(s, "no_stream", Array.from({ length: k }, (_, i) => sampleEvent(i)))
          }
          const calls = Array.from({ length: 64 }, (_, i) => {
            const k = i % 8
            const expected: ExpectedVersion = i >= 56 ? "any" : k === 0 ? "no_stream" : v(k)
            const eventId = EventId.make(`gc-${i}`)
            return { i, k, expected, eventId, effect: log.append(streams[k]!, expected, [{ event: sampleEvent(i), eventId }]) }
          })
          const outcomes = yield* Effect.all(calls.map((c) => Effect.either(c.effect)), { concurrency: "unbounded" })
          const all = yield* log.readAll(1, 1000)
          const byId = new Map(all.map((e) => [e.eventId as string, e]))
          for (const [k, s] of streams.entries()) {
            const mine = calls.filter((c) => c.k === k && c.expected !== "any")
            const winners = mine.filter((c) => outcomes[c.i]!._tag === "Right")
            expect(winners.length, `stream ${s}`).toBe(1)
            for (const c of mine) {
              const outcome = outcomes[c.i]!
              if (outcome._tag === "Left") {
                expect(outcome.left).toBeInstanceOf(StreamVersionConflict)
                expect(outcome.left).toMatchObject({ streamId: s, expected: c.expected })
                expect((outcome.left as StreamVersionConflict).actual).toBeGreaterThan(k)
              }
            }
          }
          for (const c of calls) {
            const outcome = outcomes[c.i]!
            if (c.expected === "any") expect(outcome._tag).toBe("Right")
            if (outcome._tag === "Right") {
              const stored = byId.get(c.eventId)
              expect(stored?.position).toBe(outcome.right.positions[0])
              expect(stored?.streamVersion).toBe(outcome.right.streamVersion)
              expect(stored?.streamId).toBe(streams[c.k])
            } else {
              expect(byId.has(c.eventId)).toBe(false)
            }
          }
          expectGapFree(all)
          expect(all.length).toBe(28 + 8 + 8)
        })
      ))

    it.live("readAll pages through the whole log", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          for (let i = 0; i < 5; i++) {
            yield* log.append(streamOf(`p${i % 2}`), "any", Array.from({ length: 5 }, (_, j) => sampleEvent(i * 5 + j)))
          }
          const whole = yield* log.readAll(1, 1000)
          const paged: Array<number> = []
          let from = 0
          while (true) {
            const page = yield* log.readAll(from, 7)
            expect(page.length).toBeLessThanOrEqual(7)
            if (page.length === 0) break
            for (const e of page) paged.push(e.position)
            from = page[page.length - 1]!.position + 1
          }
          expect(paged).toEqual(whole.map((e) => e.position))
          expect(paged.length).toBe(25)
          expect((yield* log.readAll(10, 3)).map((e) => e.position)).toEqual([10, 11, 12])
          expect(yield* log.readAll(26, 10)).toEqual([])
          const raw = yield* log.readAllRaw(1, 1)
          expect(raw[0]!.data).toMatchObject({ content: "message 0" })
        })
      ))

    for (const start of ["first", "middle", "head"] as const) {
      it.live(`subscribe from ${start}: catch-up then live under ${writers} concurrent writers, no gaps or repeats`, () =>
        withFresh((log) =>
          Effect.gen(function*() {
            for (let i = 0; i < 30; i++) yield* log.append(streamOf(`pre${i % 3}`), "any", [sampleEvent(i)])
            const from = start === "first" ? 1 : start === "middle" ? 16 : 31
            const perWriter = 25
            const expectedCount = 30 - from + 1 + writers * perWriter
            const subscriber = yield* log.subscribe(from, { pageSize: 7 }).pipe(
              Stream.take(expectedCount),
              Stream.runCollect,
              Effect.fork
            )
            yield* Effect.all(
              Array.from({ length: writers }, (_, w) =>
                Effect.forEach(Array.from({ length: perWriter }, (_, i) => i), (i) =>
                  Effect.zipRight(
                    Effect.sleep(`${i % 3} millis`),
                    log.append(streamOf(`live${w}`), i === 0 ? "no_stream" : v(i), [sampleEvent(w * 1000 + i)])
                  ), { discard: true })),
              { concurrency: "unbounded", discard: true }
            )
            const seen = Chunk.toReadonlyArray(yield* Fiber.join(subscriber).pipe(Effect.timeout("20 seconds")))
            const all = yield* log.readAll(from, 10_000)
            expect(seen.map((e) => e.position)).toEqual(all.map((e) => e.position))
            expect(seen.map((e) => e.eventId)).toEqual(all.map((e) => e.eventId))
            expect(seen[0]!.position).toBe(from)
            expect(seen.map((e) => e.event)).toEqual(all.map((e) => e.event))
          })
        ))
    }

    it.live.prop(
      "several subscribers from random positions during concurrent appends each see exactly readAll from their start",
      [fc.array(fc.integer({ min: 1, max: 45 }), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 9 })],
      ([starts, pageSize]) =>
        withFresh((log) =>
          Effect.gen(function*() {
            for (let i = 0; i < 20; i++) yield* log.append(streamOf(`pre${i % 2}`), "any", [sampleEvent(i)])
            const sizes = Array.from({ length: 12 }, (_, i) => i % 3 === 0 ? 2 : 1)
            const total = 20 + writers * sizes.reduce((a, b) => a + b, 0)
            const froms = starts.map((from) => Math.min(from, total))
            // Started one after another while the writers run: some catch up, some join at the head.
            const subscribers = yield* Effect.forEach(froms, (from, k) =>
              Effect.fork(Effect.zipRight(
                Effect.sleep(`${k * 3} millis`),
                log.subscribeRaw(from, { pageSize }).pipe(Stream.take(total - from + 1), Stream.runCollect)
              )))
            yield* Effect.all(
              Array.from({ length: writers }, (_, w) =>
                Effect.forEach(sizes, (size, i) =>
                  Effect.zipRight(
                    Effect.sleep(`${i % 4} millis`),
                    log.append(streamOf(`tail${w}`), "any", Array.from({ length: size }, (_, j) => sampleEvent(i * 2 + j)))
                  ), { discard: true })),
              { concurrency: "unbounded", discard: true }
            )
            const all = yield* collectAll(log)
            for (const [k, fiber] of subscribers.entries()) {
              const seen = Chunk.toReadonlyArray(yield* Fiber.join(fiber).pipe(Effect.timeout("20 seconds")))
              const expected = all.filter((e) => e.position >= froms[k]!)
              expect(all.length).toBe(total)
              expect(eventsFrom(seen)).toEqual(eventsFrom(expected))
            }
          })
        ),
      { fastCheck: { numRuns: Math.max(3, Math.round(numRuns / 3)) } }
    )

    it.live("a subscriber waiting at the head sees nothing until an append, then exactly it", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          yield* log.append(streamOf("s"), "no_stream", [sampleEvent(1)])
          const fiber = yield* log.subscribeRaw(2).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
          yield* Effect.sleep("100 millis")
          expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
          const r = yield* log.append(streamOf("s"), v(1), [sampleEvent(2)])
          const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds")))
          expect(got.map((e) => e.position)).toEqual(r.positions)
        })
      ))

    it.live("metadata (causation, correlation, actor, trace and span) round-trips, recordedAt is set", () =>
      withFresh((log) =>
        Effect.gen(function*() {
          const s = streamOf("m")
          const causationId = EventId.make("cause-1")
          const before = Date.now()
          const { span } = yield* Effect.gen(function*() {
            const span = yield* Effect.currentSpan
            yield* log.append(s, "no_stream", [
              { event: sampleEvent(1), metadata: { causationId, correlationId: "corr-1", actor: "session" } },
              sampleEvent(2)
            ])
            return { span }
          }).pipe(Effect.withSpan("contract.append"))
          const explicit = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", actor: "importer" }
          yield* log.append(s, v(2), [{ event: sampleEvent(3), metadata: explicit }])
          const after = Date.now()
          const [first, second, third] = yield* log.readStream(s)
          // The events carry the caller's span: the step that caused them.
          expect(first!.metadata).toMatchObject({ causationId, correlationId: "corr-1", actor: "session", traceId: span.traceId })
          expect(first!.metadata.spanId).toBe(span.spanId)
          expect(second!.metadata).toEqual({ traceId: span.traceId, spanId: first!.metadata.spanId })
          expect(third!.metadata).toEqual(explicit)
          for (const e of [first!, second!, third!]) {
            expect(e.recordedAt).toBeInstanceOf(Date)
            expect(e.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 1000)
            expect(e.recordedAt.getTime()).toBeLessThanOrEqual(after + 1000)
          }
        })
      ))

    const Op = fc.record({
      stream: fc.integer({ min: 0, max: 3 }),
      expected: fc.oneof(fc.constant<"any">("any"), fc.constant<"no_stream">("no_stream"), fc.integer({ min: 1, max: 4 })),
      count: fc.integer({ min: 1, max: 3 }),
      delayMs: fc.integer({ min: 0, max: 3 })
    })

    it.live.prop(
      "random concurrent appends: one winner per expected version, gap-free versions and positions, durable on reopen",
      [fc.array(Op, { minLength: 1, maxLength: 24 })],
      ([ops]) =>
        Effect.scoped(Effect.gen(function*() {
          const open = yield* freshDatabase
          const { outcomes, all } = yield* withLog(open, (log) =>
            Effect.gen(function*() {
              const outcomes = yield* Effect.all(
                ops.map((op, i) =>
                  Effect.zipRight(
                    Effect.sleep(`${op.delayMs} millis`),
                    Effect.either(log.append(
                      streamOf(`r${op.stream}`),
                      typeof op.expected === "number" ? v(op.expected) : op.expected,
                      Array.from({ length: op.count }, (_, j) => ({
                        event: sampleEvent(i * 10 + j),
                        eventId: EventId.make(`op-${i}-${j}`)
                      }))
                    ))
                  )
                ),
                { concurrency: "unbounded" }
              )
              return { outcomes, all: yield* collectAll(log) }
            }))

          const wins = outcomes.flatMap((o, i) => o._tag === "Right" ? [{ op: ops[i]!, i, result: o.right }] : [])
          for (const [i, o] of outcomes.entries()) {
            if (o._tag === "Left") {
              expect(o.left._tag).toBe("StreamVersionConflict")
              expect(ops[i]!.expected).not.toBe("any")
            }
          }
          for (let k = 0; k < 4; k++) {
            const numeric = wins.filter((w) => w.op.stream === k && w.op.expected !== "any")
              .map((w) => w.op.expected === "no_stream" ? 0 : w.op.expected)
            expect(new Set(numeric).size).toBe(numeric.length)
            const versions = all.filter((e) => e.streamId === streamOf(`r${k}`)).map((e) => e.streamVersion)
            expect(versions).toEqual(versions.map((_, j) => j + 1))
          }
          expectGapFree(all)
          expect(all.length).toBe(wins.reduce((n, w) => n + w.op.count, 0))
          const byId = new Map(all.map((e) => [e.eventId as string, e]))
          for (const w of wins) {
            const stored = w.result.positions.map((_, j) => byId.get(`op-${w.i}-${j}`)?.position)
            expect(stored).toEqual(w.result.positions)
          }
          const reopened = yield* withLog(open, collectAll)
          expect(eventsFrom(reopened)).toEqual(eventsFrom(all))
        })),
      { fastCheck: { numRuns } }
    )
  })
}

