import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Option } from "effect"
import { StreamVersion } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { streamKind } from "../../src/events/Streams.ts"
import { StreamsProjection } from "../../src/projections/StreamsProjection.ts"
import { StreamsQuery } from "../../src/projections/StreamsQuery.ts"
import type { StreamInfo } from "../../src/projections/StreamsQuery.ts"
import { sampleEvent, sampleSessionStarted } from "../support/Events.ts"
import { describePg } from "../support/Pg.ts"
import { caughtUp, foldStreams, pgBackend, readWholeLog, sqliteBackend, stream, world } from "./support.ts"
import type { Backend, ExpectedStream } from "./support.ts"

const plain = (info: StreamInfo): ExpectedStream => ({
  streamId: info.streamId,
  kind: info.kind,
  version: info.version,
  firstPosition: info.firstPosition,
  lastPosition: info.lastPosition,
  eventCount: info.eventCount,
  lastEventType: info.lastEventType,
  lastEventAt: info.lastEventAt.toISOString()
})

describe("streamKind", () => {
  it("takes the family from the stream id prefix", () => {
    assert.strictEqual(streamKind("session-0190a1b2"), "session")
    assert.strictEqual(streamKind("memory-m-1"), "memory")
    assert.strictEqual(streamKind("reward-0190a1b2"), "reward")
    assert.strictEqual(streamKind("cortex"), "cortex")
    assert.strictEqual(streamKind("trainer"), "trainer")
    assert.strictEqual(streamKind("prompt-default"), "prompt")
    assert.strictEqual(streamKind("experiment-e1"), "experiment")
    assert.strictEqual(streamKind("sessionless"), "other")
    assert.strictEqual(streamKind("Session-1"), "other")
    assert.strictEqual(streamKind("import-1"), "other")
    assert.strictEqual(streamKind("cortex-1"), "other")
    assert.strictEqual(streamKind("session-"), "other")
  })
})

const streamIds = [
  "session-a",
  "session-b",
  "memory-m1",
  "reward-r1",
  "cortex",
  "prompt-default",
  "experiment-e1",
  "trainer",
  "misc-1"
]

/** The projection without its page-at-once `applyAll`: the runner then applies event by event (its fallback path). */
const { applyAll: _pageAtOnce, ...eventByEvent } = StreamsProjection

interface FoldCase {
  readonly appends: ReadonlyArray<{ readonly streamId: string; readonly count: number }>
  readonly live: boolean
  readonly pageSize: number
  readonly perEvent: boolean
}

/** Appends, lets the projection run, and compares the streams table with the pure fold of the log. */
const foldMatches = (backend: Backend, { appends, live, pageSize, perEvent }: FoldCase) =>
  Effect.gen(function*() {
    const database = yield* backend.fresh
    yield* Effect.gen(function*() {
      const log = yield* EventLog
      yield* Effect.forEach(
        appends,
        ({ count, streamId }, i) =>
          log.append(stream(streamId), "any", Array.from({ length: count }, (_, k) => sampleEvent(i * 10 + k))),
        { concurrency: 3, discard: true }
      )
      yield* caughtUp(live)

      const expected = foldStreams(yield* readWholeLog)
      const actual = (yield* (yield* StreamsQuery).list({ limit: 1000 })).map(plain)
      assert.deepStrictEqual(actual, expected)
    }).pipe(
      Effect.provide(StreamsQuery.Default.pipe(Layer.provideMerge(
        world(database(), [perEvent ? eventByEvent : StreamsProjection], { live, pageSize })
      )))
    )
  })

const streamsSuite = (backend: Backend, numRuns: number) => {
  it.scopedLive("list and get filter by kind and prefix, page with limit and offset", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* log.append(stream("session-a"), "no_stream", [sampleSessionStarted(), sampleEvent(1)])
        yield* log.append(stream("session-b"), "no_stream", [sampleEvent(2)])
        yield* log.append(stream("sessionless"), "no_stream", [sampleEvent(3)])
        yield* log.append(stream("Session-c"), "no_stream", [sampleEvent(4)])
        yield* log.append(stream("memory-x"), "no_stream", [sampleEvent(5)])
        yield* log.append(stream("session-a"), StreamVersion.make(2), [sampleEvent(6)])
        yield* (yield* ProjectionRunner).catchUp()

        const query = yield* StreamsQuery
        const ids = (infos: ReadonlyArray<StreamInfo>) => infos.map((i) => i.streamId)
        assert.deepStrictEqual(ids(yield* query.list()), ["Session-c", "memory-x", "session-a", "session-b", "sessionless"])
        assert.deepStrictEqual(ids(yield* query.list({ kind: "session" })), ["session-a", "session-b"])
        assert.deepStrictEqual(ids(yield* query.list({ kind: "other" })), ["Session-c", "sessionless"])
        assert.deepStrictEqual(ids(yield* query.list({ prefix: "session" })), ["session-a", "session-b", "sessionless"])
        assert.deepStrictEqual(ids(yield* query.list({ prefix: "session", kind: "other" })), ["sessionless"])
        assert.deepStrictEqual(ids(yield* query.list({ limit: 2, offset: 1 })), ["memory-x", "session-a"])

        const a = Option.getOrThrow(yield* query.get(stream("session-a")))
        assert.strictEqual(a.kind, "session")
        assert.strictEqual(a.version, 3)
        assert.strictEqual(a.eventCount, 3)
        assert.strictEqual(a.firstPosition, 1)
        assert.strictEqual(a.lastPosition, 7)
        assert.strictEqual(a.lastEventType, "UserMessageReceived")
        assert.isTrue(Option.isNone(yield* query.get(stream("session-zzz"))))
      }).pipe(Effect.provide(StreamsQuery.Default.pipe(Layer.provideMerge(world(database(), [StreamsProjection])))))
    }))

  it.scopedLive.prop(
    "the streams table equals a pure fold of readAll, for random appends, page sizes and modes, page at once or event by event",
    {
      appends: fc.array(
        fc.record({ streamId: fc.constantFrom(...streamIds), count: fc.integer({ min: 1, max: 4 }) }),
        { minLength: 1, maxLength: 25 }
      ),
      pageSize: fc.integer({ min: 1, max: 8 }),
      live: fc.boolean(),
      perEvent: fc.boolean()
    },
    (input) => foldMatches(backend, input),
    { timeout: 120_000, fastCheck: { numRuns } }
  )

  it.scopedLive("a page of more streams than one statement takes is upserted in several, like event by event", () =>
    foldMatches(backend, {
      appends: Array.from({ length: 900 }, (_, i) => ({ streamId: `session-many-${i}`, count: 1 + (i % 2) })),
      live: false,
      pageSize: 2000,
      perEvent: false
    }), 60_000)
}

describe("streams projection [sqlite]", () => streamsSuite(sqliteBackend, 25))
describePg("streams projection", () => streamsSuite(pgBackend, 8))
