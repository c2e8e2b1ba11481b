/**
 * The shared core's group commit, observed through a counting wrapper around the real SQLite storage.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Scope } from "effect"
import { EventId, StreamVersion } from "../../src/domain/Ids.ts"
import { EventLogError } from "../../src/events/Errors.ts"
import { makeEventLog } from "../../src/events/EventLogCore.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import type { EventLogOptions } from "../../src/events/EventLogOptions.ts"
import type { LogStorage } from "../../src/events/LogStorage.ts"
import * as SqliteLogStorage from "../../src/events/sqlite/SqliteLogStorage.ts"
import { sampleEvent } from "../support/Events.ts"
import { sqliteDatabaseLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { collectAll, expectGapFree, streamOf } from "./contract/helpers.ts"

interface Probe {
  /** Rows inserted by each committed transaction. */
  readonly transactions: Array<number>
  /** Makes the next transaction fail (storage), die (defect) or take a while. */
  failNext: "fail" | "die" | "slow" | undefined
}

const probed = (storage: LogStorage, probe: Probe): LogStorage => {
  const injected = Effect.suspend(() => {
    const mode = probe.failNext
    probe.failNext = undefined
    if (mode === "fail") return Effect.fail(new EventLogError({ method: "append", reason: "busy", message: "injected" }))
    if (mode === "die") return Effect.dieMessage("injected defect")
    return mode === "slow" ? Effect.sleep(Duration.millis(300)) : Effect.void
  })
  const appendBatch = storage.appendBatch
  return {
    ...storage,
    appendTransaction: (body) =>
      Effect.zipRight(
        injected,
        storage.appendTransaction((tx) =>
          body({ ...tx, insert: (rows) => Effect.tap(tx.insert(rows), () => probe.transactions.push(rows.length)) })
        )
      ),
    ...(appendBatch === undefined ? {} : {
      appendBatch: (requests, recordedAt) =>
        Effect.zipRight(
          injected,
          Effect.tap(appendBatch(requests, recordedAt), (commit) => {
            if (commit.written > 0) probe.transactions.push(commit.written)
          })
        )
    })
  }
}

type Log = Effect.Effect.Success<ReturnType<typeof makeEventLog>>

/** A core over probed SQLite storage, living in the current scope. */
const makeCore = (tuning: Partial<EventLogOptions>) =>
  Effect.gen(function*() {
    const file = yield* tempSqliteFile
    const context = yield* Layer.build(sqliteDatabaseLayer(file, "NORMAL"))
    const storage = yield* SqliteLogStorage.make().pipe(Effect.provide(context))
    const probe: Probe = { transactions: [], failNext: undefined }
    const log = yield* makeEventLog(probed(storage, probe), { ...defaultEventLogOptions, ...tuning })
    return { log, probe }
  })

const withCore = <A, E>(tuning: Partial<EventLogOptions>, f: (log: Log, probe: Probe) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(makeCore(tuning), ({ log, probe }) => f(log, probe)))

describe("group commit", () => {
  it.live("64 concurrent single-event appends share few transactions and each caller gets its own positions", () =>
    withCore({}, (log, probe) =>
      Effect.gen(function*() {
        const results = yield* Effect.all(
          Array.from({ length: 64 }, (_, i) =>
            log.append(streamOf(`s${i}`), "no_stream", [{ event: sampleEvent(i), eventId: EventId.make(`gc-${i}`) }])),
          { concurrency: "unbounded" }
        )
        expect(probe.transactions.reduce((a, b) => a + b, 0)).toBe(64)
        expect(probe.transactions.length).toBeLessThan(64)
        const all = yield* collectAll(log)
        expectGapFree(all)
        results.forEach((r, i) => {
          expect(r.streamId).toBe(streamOf(`s${i}`))
          expect(all[r.positions[0]! - 1]!.eventId).toBe(`gc-${i}`)
        })
      })))

  it.live("maxBatch bounds the appends per transaction", () =>
    withCore({ maxBatch: 5 }, (log, probe) =>
      Effect.gen(function*() {
        yield* Effect.all(
          Array.from({ length: 40 }, (_, i) => log.append(streamOf("one"), "any", [sampleEvent(i)])),
          { concurrency: "unbounded" }
        )
        expect(Math.max(...probe.transactions)).toBeLessThanOrEqual(5)
        expect(probe.transactions.length).toBeGreaterThanOrEqual(8)
        expect(yield* log.streamVersion(streamOf("one"))).toBe(40)
      })))

  it.live("a commit window gathers appends that arrive within it", () =>
    withCore({ groupCommitWindow: Duration.millis(50) }, (log, probe) =>
      Effect.gen(function*() {
        yield* Effect.all(
          Array.from({ length: 10 }, (_, i) =>
            Effect.zipRight(Effect.sleep(Duration.millis(i * 2)), log.append(streamOf(`w${i}`), "no_stream", [sampleEvent(i)]))),
          { concurrency: "unbounded" }
        )
        expect(probe.transactions).toEqual([10])
      })))

  it.live("a failed or dying transaction fails only its own batch; the writer keeps going", () =>
    withCore({}, (log, probe) =>
      Effect.gen(function*() {
        const s = streamOf("s")
        probe.failNext = "fail"
        const failed = yield* Effect.flip(log.append(s, "no_stream", [sampleEvent(1)]))
        expect(failed).toMatchObject({ _tag: "EventLogError", reason: "busy" })
        probe.failNext = "die"
        const died = yield* Effect.flip(log.append(s, "no_stream", [sampleEvent(2)]))
        expect(died).toMatchObject({ _tag: "EventLogError", reason: "storage" })
        const ok = yield* log.append(s, "no_stream", [sampleEvent(3)])
        expect(ok.positions).toEqual([1])
        expect(yield* log.append(s, StreamVersion.make(1), [sampleEvent(4)])).toMatchObject({ positions: [2] })
      })).pipe(Logger.withMinimumLogLevel(LogLevel.None)))

  it.live("closing the log settles the commit in flight and fails queued appends with reason closed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { log, probe } = yield* Scope.extend(makeCore({}), scope)
      probe.failNext = "slow"
      const inFlight = yield* Effect.fork(log.append(streamOf("a"), "no_stream", [sampleEvent(1)]))
      yield* Effect.sleep(Duration.millis(100))
      const queued = yield* Effect.fork(log.append(streamOf("b"), "no_stream", [sampleEvent(2)]))
      yield* Effect.sleep(Duration.millis(20))
      yield* Scope.close(scope, Exit.void)
      expect(yield* Fiber.join(inFlight)).toMatchObject({ positions: [1], written: true })
      const error = yield* Effect.flip(Fiber.join(queued))
      expect(error).toMatchObject({ _tag: "EventLogError", reason: "closed" })
    }).pipe(Effect.timeout(Duration.seconds(10))))
})
