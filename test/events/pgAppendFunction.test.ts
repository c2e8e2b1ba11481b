/**
 * `tau_append` (the PL/pgSQL planner) against AppendPlan.planBatch (the TypeScript planner): random batches over a
 * small pool of streams, ids and contents, applied to whatever state earlier runs left, must give the same
 * outcomes, the same rows and the same head.
 */
import { assert, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { EventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import { batchKeys, planBatch } from "../../src/events/AppendPlan.ts"
import type { AppendOutcome, AppendRequest } from "../../src/events/AppendPlan.ts"
import type { ExpectedVersion } from "../../src/events/Envelope.ts"
import { makePgLogStorage } from "../../src/events/pg/PgLogStorage.ts"
import type { LogStorage } from "../../src/events/LogStorage.ts"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { pgDatabaseLayer } from "../support/pgEventLog.ts"

type Spec =
  | { readonly _tag: "replay"; readonly index: number }
  | {
    readonly _tag: "new"
    readonly stream: number
    readonly expected: "any" | "no_stream" | number
    readonly events: ReadonlyArray<{ readonly id: number; readonly type: number; readonly data: number }>
  }

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("replay" as const), index: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      _tag: fc.constant("new" as const),
      stream: fc.integer({ min: 0, max: 3 }),
      expected: fc.oneof(fc.constant("any" as const), fc.constant("no_stream" as const), fc.integer({ min: 0, max: 6 })),
      events: fc.array(
        fc.record({ id: fc.integer({ min: 0, max: 24 }), type: fc.integer({ min: 0, max: 1 }), data: fc.integer({ min: 0, max: 1 }) }),
        { maxLength: 4 }
      )
    })
  }
)

const datas = ["{\"a\":1}", "{ \"a\" : 1 }"]

const toRequest = (spec: Spec, history: ReadonlyArray<AppendRequest>): AppendRequest | undefined => {
  if (spec._tag === "replay") return history.length === 0 ? undefined : history[spec.index % history.length]
  const expected: ExpectedVersion = typeof spec.expected === "number" ? StreamVersion.make(spec.expected) : spec.expected
  return {
    streamId: StreamId.make(`s${spec.stream}`),
    expected,
    events: spec.events.map((e) => ({
      eventId: EventId.make(`e${e.id}`),
      type: e.type === 0 ? "T" : "U",
      schemaVersion: 1,
      data: datas[e.data]!,
      metadata: { actor: `m${e.id}` }
    }))
  }
}

const normalise = (outcome: AppendOutcome) =>
  outcome._tag === "Success"
    ? { ok: { ...outcome.result, positions: outcome.result.positions.map(Number) } }
    : { error: { ...outcome.error } }

const check = (storage: LogStorage, requests: ReadonlyArray<AppendRequest>) =>
  Effect.gen(function*() {
    const recordedAt = new Date("2025-01-02T03:04:05.678Z")
    const { eventIds, streamIds } = batchKeys(requests)
    // A transaction that only reads: the snapshot the TypeScript planner would see right now.
    const snapshot = yield* storage.appendTransaction((tx) => tx.load(streamIds, eventIds))
    const plan = planBatch(requests, snapshot, recordedAt)
    const commit = yield* storage.appendBatch!(requests, recordedAt)

    assert.deepStrictEqual(commit.outcomes.map(normalise), plan.outcomes.map(normalise))
    assert.strictEqual(commit.head, plan.head)
    assert.strictEqual(commit.written, plan.rows.length)
    const stored = yield* storage.readAll(snapshot.head + 1, 1000)
    assert.deepStrictEqual(
      stored.map((r) => [r.position, r.eventId, r.streamId, r.streamVersion, r.type, r.schemaVersion, JSON.stringify(r.metadata), r.recordedAt.toISOString()]),
      plan.rows.map((r) => [r.position, r.eventId, r.streamId, r.streamVersion, r.type, r.schemaVersion, r.metadata, r.recordedAt.toISOString()])
    )
    assert.strictEqual(yield* storage.head, plan.head)
    return commit.outcomes
  })

describePg("tau_append (PostgreSQL append function)", () => {
  it.live("property: tau_append decides every batch exactly as planBatch does", () =>
    Effect.gen(function*() {
      const url = yield* freshPgDatabase
      const context = yield* Layer.build(pgDatabaseLayer(url)).pipe(Effect.orDie)
      const storage = yield* makePgLogStorage.pipe(Effect.provide(context))
      assert.isDefined(storage.appendBatch)
      const history: Array<AppendRequest> = []
      const seen = new Set<string>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 6 }), async (specs) => {
            const requests: Array<AppendRequest> = []
            for (const spec of specs) {
              const request = toRequest(spec, history)
              if (request !== undefined) requests.push(request)
            }
            if (requests.length === 0) return
            const outcomes = await Effect.runPromise(check(storage, requests))
            for (const o of outcomes) {
              seen.add(o._tag === "Success" ? (o.result.written ? "written" : "not-written") : o.error._tag === "EventIdConflict" ? o.error.reason : o.error._tag)
            }
            history.push(...requests)
          }),
          { numRuns: 150 }
        )
      )
      // The generator must reach every rule, or agreement proves little.
      assert.deepStrictEqual([...seen].sort(), [
        "StreamVersionConflict", "content-differs", "duplicate-in-append", "not-written", "partial-batch", "written"
      ])
    }).pipe(Effect.scoped), 60_000)
})
