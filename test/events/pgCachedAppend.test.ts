/**
 * The PostgreSQL append planned in the client from cached stream versions (CachedAppend.ts). Two log instances
 * (two writers, two caches, as two processes would have) append one request at a time in a random order, so each
 * one's cache is now valid, now stale (the other moved the head); requests reuse stored ids (retries and
 * conflicting reuses), expect the right, a wrong or no version. Every outcome must be what `planBatch` decides on
 * the whole log, the log must hold exactly the model's rows, and both the cached statement and the fallback must
 * have run. A second test sends concurrent batches through the cached path (group commit) and checks the log.
 */
import { assert, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Runtime } from "effect"
import fc from "fast-check"
import pg from "pg"
import { afterEach, vi } from "vitest"
import { EventId, StreamVersion } from "../../src/domain/Ids.ts"
import type { StoredIdentity } from "../../src/events/AppendPlan.ts"
import { planBatch } from "../../src/events/AppendPlan.ts"
import type { EncodedEvent, ExpectedVersion } from "../../src/events/Envelope.ts"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { openPgLog, stream } from "../support/pgEventLog.ts"

const Op = fc.record({
  instance: fc.integer({ min: 0, max: 1 }),
  // Runs of appends on one instance keep its cache valid; a switch makes the other's stale.
  repeat: fc.integer({ min: 1, max: 4 }),
  stream: fc.integer({ min: 0, max: 3 }),
  expected: fc.oneof(
    { weight: 6, arbitrary: fc.constant<"right">("right") },
    { weight: 1, arbitrary: fc.constant<"any">("any") },
    { weight: 1, arbitrary: fc.constant<"no_stream">("no_stream") },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) }
  ),
  count: fc.integer({ min: 1, max: 3 }),
  // A stored id: sent again as it was (a retry) or with other data (a conflicting reuse).
  reuse: fc.option(fc.record({ at: fc.nat(), same: fc.boolean() }), { freq: 5 })
})
type Op = typeof Op extends fc.Arbitrary<infer T> ? T : never

/** The names of the prepared statements sent through a spied `pg.Client.query`. */
const statementNames = (calls: ReadonlyArray<ReadonlyArray<unknown>>): Array<string> =>
  calls.map(([config]) =>
    typeof config === "object" && config !== null && "name" in config && typeof config.name === "string" ? config.name : ""
  )

afterEach(() => {
  vi.restoreAllMocks()
})

describePg("PostgreSQL append planned from cached versions", () => {
  it.live("property: two writers' cached appends decide every request as planBatch does on the whole log", () =>
    Effect.gen(function*() {
      const query = vi.spyOn(pg.Client.prototype, "query")
      const url = yield* freshPgDatabase
      const instances = yield* Effect.all([openPgLog(url), openPgLog(url)])
      const runtime = yield* Effect.runtime<never>()
      let run = 0
      let fresh = 0

      const property = (ops: ReadonlyArray<Op>) =>
        Effect.gen(function*() {
          run++
          const name = (s: number) => stream(`run${run}-s${s}`)
          // The model: the whole log as planBatch sees it.
          let head: number = yield* instances[0]!.log.head
          const versions = new Map<string, number>()
          const existing = new Map<string, StoredIdentity>()
          const sent: Array<{ readonly streamId: string; readonly events: ReadonlyArray<EncodedEvent> }> = []
          for (const op of ops.flatMap((op) => Array.from({ length: op.repeat }, () => op))) {
            const streamId = name(op.stream)
            const current = versions.get(streamId) ?? 0
            const expected: ExpectedVersion = op.expected === "right"
              ? (current === 0 ? "no_stream" : StreamVersion.make(current))
              : typeof op.expected === "number"
              ? StreamVersion.make(op.expected)
              : op.expected
            const reused = op.reuse === null || sent.length === 0 ? undefined : sent[op.reuse.at % sent.length]!
            const events: ReadonlyArray<EncodedEvent> = reused !== undefined && op.reuse?.same === true
              ? reused.events
              : Array.from({ length: op.count }, (_, i) => ({
                eventId: i === 0 && reused !== undefined ? reused.events[0]!.eventId : EventId.make(`e-${run}-${fresh++}`),
                type: "TestEvent",
                schemaVersion: 1,
                data: JSON.stringify({ n: fresh, i }),
                metadata: {}
              }))
            const target = reused !== undefined && op.reuse?.same === true ? stream(reused.streamId) : streamId
            const request = { streamId: target, expected, events }
            const exit = yield* Effect.exit(instances[op.instance]!.log.appendEncoded(target, expected, events))

            const plan = planBatch([request], { head, versions, existing }, new Date())
            const outcome = plan.outcomes[0]!
            if (outcome._tag === "Success") {
              assert.isTrue(Exit.isSuccess(exit), `expected success, got ${Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""}`)
              if (Exit.isSuccess(exit)) {
                assert.deepStrictEqual(exit.value.positions, outcome.result.positions)
                assert.strictEqual(exit.value.streamVersion, outcome.result.streamVersion)
                assert.strictEqual(exit.value.written, outcome.result.written)
              }
              for (const row of plan.rows) existing.set(row.eventId, row)
              if (plan.rows.length > 0) {
                versions.set(target, outcome.result.streamVersion)
                sent.push({ streamId: target, events })
              }
              head = plan.head
            } else {
              assert.isTrue(Exit.isFailure(exit), `expected ${outcome.error._tag}`)
              const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
              assert.deepStrictEqual(error, outcome.error)
            }
          }
          const stored = yield* instances[1]!.log.readAllRaw(1, Number.MAX_SAFE_INTEGER)
          assert.strictEqual(stored.length, head)
          assert.deepStrictEqual(stored.map((e) => e.position), Array.from({ length: head }, (_, i) => i + 1))
          for (const e of stored) {
            const model = existing.get(e.eventId)
            if (model === undefined) continue
            assert.deepStrictEqual([e.position, e.streamId, e.streamVersion], [model.position, model.streamId, model.streamVersion])
          }
        })

      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(Op, { minLength: 1, maxLength: 25 }), (ops) =>
            Runtime.runPromise(runtime)(property(ops)).then(() => true)),
          { numRuns: 40, seed: 7 }
        )
      )
      const names = statementNames(query.mock.calls)
      assert.isTrue(names.some((n) => n.startsWith("tau_append_cached_")), "the cached statement ran")
      assert.isTrue(names.includes("tau_append_one_statement"), "the fallback ran")
    }).pipe(Effect.scoped), 120_000)

  it.live("concurrent appends to known streams commit as cached batches: gap-free, every stream 1..n", () =>
    Effect.gen(function*() {
      const query = vi.spyOn(pg.Client.prototype, "query")
      const url = yield* freshPgDatabase
      const { log } = yield* openPgLog(url)
      const streams = Array.from({ length: 64 }, (_, i) => stream(`fibre-${i}`))
      const event = (n: number): EncodedEvent => ({
        eventId: EventId.make(`c-${n}`),
        type: "TestEvent",
        schemaVersion: 1,
        data: JSON.stringify({ n }),
        metadata: {}
      })
      let n = 0
      yield* Effect.forEach(streams, (s, f) =>
        Effect.gen(function*() {
          let version = 0
          for (let i = 0; i < 10; i++) {
            const result = yield* log.appendEncoded(s, version === 0 ? "no_stream" : StreamVersion.make(version), [event(n++), event(n++)])
            assert.strictEqual(result.streamVersion, version + 2, `fibre ${f}`)
            version = result.streamVersion
          }
        }), { concurrency: "unbounded", discard: true })
      const stored = yield* log.readAllRaw(1, Number.MAX_SAFE_INTEGER)
      assert.deepStrictEqual(stored.map((e) => e.position), Array.from({ length: 1280 }, (_, i) => i + 1))
      for (const s of streams) {
        assert.deepStrictEqual(stored.filter((e) => e.streamId === s).map((e) => e.streamVersion), Array.from({ length: 20 }, (_, i) => i + 1))
      }
      const batched = statementNames(query.mock.calls).some((name) => /^tau_append_cached_([2-9]|\d\d|many)/.test(name))
      assert.isTrue(batched, "several requests went through one cached statement")
    }).pipe(Effect.scoped), 60_000)
})
