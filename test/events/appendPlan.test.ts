import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { EventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import type { Position } from "../../src/domain/Ids.ts"
import { planBatch } from "../../src/events/AppendPlan.ts"
import type { AppendOutcome, AppendRequest, EventRow, StorageSnapshot, StoredIdentity } from "../../src/events/AppendPlan.ts"
import type { EncodedEvent, ExpectedVersion } from "../../src/events/Envelope.ts"

const now = new Date(0)
const s = (name: string) => StreamId.make(name)
const ev = (id: string, data = `{"id":"${id}"}`): EncodedEvent => ({
  eventId: EventId.make(id),
  type: "UserMessageReceived",
  schemaVersion: 1,
  data,
  metadata: {}
})
const req = (stream: string, expected: ExpectedVersion, ...events: Array<EncodedEvent>): AppendRequest => ({
  streamId: s(stream),
  expected,
  events
})
const empty: StorageSnapshot = { head: 0, versions: new Map(), existing: new Map() }
const v = (n: number) => StreamVersion.make(n)

const summary = (o: AppendOutcome) =>
  o._tag === "Success"
    ? { ok: [...o.result.positions], version: o.result.streamVersion, written: o.result.written }
    : { error: o.error._tag, ...("reason" in o.error ? { reason: o.error.reason } : { actual: o.error.actual }) }

describe("planBatch", () => {
  it("numbers rows from the head and versions from each stream's current version", () => {
    const snapshot: StorageSnapshot = { head: 10, versions: new Map([["a", 3]]), existing: new Map() }
    const plan = planBatch([req("a", v(3), ev("1"), ev("2")), req("b", "no_stream", ev("3"))], snapshot, now)
    expect(plan.rows.map((r) => [r.position, r.streamId, r.streamVersion])).toEqual([[11, "a", 4], [12, "a", 5], [13, "b", 1]])
    expect(plan.outcomes.map(summary)).toEqual([
      { ok: [11, 12], version: 5, written: true },
      { ok: [13], version: 1, written: true }
    ])
    expect(plan.head).toBe(13)
  })

  it("a conflict fails only its own request; later requests see the versions of earlier ones", () => {
    const plan = planBatch([
      req("a", "no_stream", ev("1")),
      req("a", "no_stream", ev("2")),
      req("a", v(1), ev("3")),
      req("b", v(5), ev("4")),
      req("b", "any", ev("5"))
    ], empty, now)
    expect(plan.outcomes.map(summary)).toEqual([
      { ok: [1], version: 1, written: true },
      { error: "StreamVersionConflict", actual: 1 },
      { ok: [2], version: 2, written: true },
      { error: "StreamVersionConflict", actual: 0 },
      { ok: [3], version: 1, written: true }
    ])
    expect(plan.rows.map((r) => r.eventId)).toEqual(["1", "3", "5"])
  })

  it("recognises retries of stored events and of events earlier in the same batch", () => {
    const stored: StoredIdentity = {
      eventId: EventId.make("x"),
      position: 7 as Position,
      streamId: s("a"),
      streamVersion: v(2),
      type: "UserMessageReceived",
      schemaVersion: 1,
      data: `{"id":"x"}`
    }
    const snapshot: StorageSnapshot = { head: 9, versions: new Map([["a", 2]]), existing: new Map([["x", stored]]) }
    const plan = planBatch([
      req("a", "no_stream", ev("x")),
      req("a", v(2), ev("y")),
      req("a", v(2), ev("y")),
      req("a", "any", ev("x", `{"other":true}`)),
      req("b", "any", ev("x")),
      req("a", "any", ev("x"), ev("z")),
      req("c", "any", ev("d"), ev("d"))
    ], snapshot, now)
    expect(plan.outcomes.map(summary)).toEqual([
      { ok: [7], version: 2, written: false },
      { ok: [10], version: 3, written: true },
      { ok: [10], version: 3, written: false },
      { error: "EventIdConflict", reason: "content-differs" },
      { error: "EventIdConflict", reason: "content-differs" },
      { error: "EventIdConflict", reason: "partial-batch" },
      { error: "EventIdConflict", reason: "duplicate-in-append" }
    ])
    expect(plan.rows.map((r) => r.eventId)).toEqual(["y"])
  })

  const Request = fc.record({
    stream: fc.constantFrom("a", "b", "c"),
    expected: fc.oneof(fc.constant<"any">("any"), fc.constant<"no_stream">("no_stream"), fc.integer({ min: 0, max: 5 })),
    ids: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 3 }),
    variant: fc.integer({ min: 0, max: 1 })
  })
  const toRequest = (r: typeof Request extends fc.Arbitrary<infer T> ? T : never): AppendRequest =>
    req(
      r.stream,
      typeof r.expected === "number" ? v(r.expected) : r.expected,
      ...r.ids.map((id) => ev(`e${id}`, `{"id":${id},"v":${r.variant}}`))
    )

  /** What committing each request in its own transaction would do. */
  const oneByOne = (requests: ReadonlyArray<AppendRequest>, start: StorageSnapshot) => {
    let snapshot = start
    const outcomes: Array<AppendOutcome> = []
    const rows: Array<EventRow> = []
    for (const request of requests) {
      const plan = planBatch([request], snapshot, now)
      outcomes.push(plan.outcomes[0]!)
      rows.push(...plan.rows)
      const versions = new Map(snapshot.versions)
      const existing = new Map(snapshot.existing)
      for (const row of plan.rows) {
        versions.set(row.streamId, row.streamVersion)
        existing.set(row.eventId, row)
      }
      snapshot = { head: plan.head, versions, existing }
    }
    return { outcomes, rows }
  }

  it.prop("a batch decides exactly as committing its requests one by one would", [fc.array(Request, { maxLength: 12 }), fc.array(Request, { maxLength: 6 })], ([before, batch]) => {
    const history = oneByOne(before.map(toRequest), empty)
    const snapshot: StorageSnapshot = {
      head: history.rows.length,
      versions: new Map(history.rows.map((r) => [r.streamId, r.streamVersion])),
      existing: new Map(history.rows.map((r) => [r.eventId, r]))
    }
    const requests = batch.map(toRequest)
    const batched = planBatch(requests, snapshot, now)
    const sequential = oneByOne(requests, snapshot)
    expect(batched.outcomes.map(summary)).toEqual(sequential.outcomes.map(summary))
    expect(batched.rows).toEqual(sequential.rows)
    expect(batched.rows.map((r) => r.position)).toEqual(batched.rows.map((_, i) => snapshot.head + i + 1))
    expect(batched.head).toBe(snapshot.head + batched.rows.length)
  })
})
