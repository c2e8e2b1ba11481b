import { assert, describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck as fc, Schema } from "effect"
import { EventId, Position, SessionId } from "../../src/domain/Ids.ts"
import { decodeEvent, encodeEvent } from "../../src/events/Codec.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import { FeedbackReceived } from "../../src/events/TauEvent.ts"
import { currentSchemaVersion, FeedbackReceivedV1, upcast, upcasters } from "../../src/events/Upcasters.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"

const position = Position.make(42)

describe("upcasters", () => {
  it("registers FeedbackReceived 1 -> 2, and every other type stays at version 1", () => {
    expect(currentSchemaVersion("FeedbackReceived")).toBe(2)
    expect(currentSchemaVersion("SessionStarted")).toBe(1)
    expect(currentSchemaVersion("NotAnEvent")).toBe(1)
    const keys = upcasters.map((u) => `${u.type}@${u.fromVersion}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it("decodes a stored v1 row to the current class, with source unknown", () => {
    const row = { sessionId: "s-1", rating: -0.5, comment: "wrong file" }
    const decoded = decodeEvent({ position, type: "FeedbackReceived", schemaVersion: 1, data: row })
    assert.isTrue(Either.isRight(decoded))
    const event = Either.getOrThrow(decoded)
    expect(event).toBeInstanceOf(FeedbackReceived)
    expect(event).toEqual(
      new FeedbackReceived({ sessionId: SessionId.make("s-1"), rating: -0.5, comment: "wrong file", source: "unknown" })
    )
  })

  it("lifts every valid v1 shape, keeping its fields", () => {
    const v1 = Arbitrary.make(FeedbackReceivedV1).filter((r) => Schema.is(SessionId)(r.sessionId))
    fc.assert(
      fc.property(v1, (row) => {
        const data = JSON.parse(JSON.stringify(row)) as unknown
        const decoded = decodeEvent({ position, type: "FeedbackReceived", schemaVersion: 1, data })
        if (Either.isLeft(decoded)) return false
        const event = decoded.right
        return event._tag === "FeedbackReceived" && event.source === "unknown" && event.rating === row.rating &&
          event.sessionId === row.sessionId && event.comment === row.comment && event.turn === undefined
      }),
      { numRuns: 200 }
    )
  })

  it("writes the current version, which reads back without lifting", () => {
    const event = new FeedbackReceived({ sessionId: SessionId.make("s-2"), rating: 1, turn: 3, source: "cli" })
    const payload = encodeEvent(event)
    expect(payload.schemaVersion).toBe(2)
    expect(JSON.parse(payload.data)).toEqual({ sessionId: "s-2", rating: 1, turn: 3, source: "cli" })
    const decoded = decodeEvent({ position, type: payload.type, schemaVersion: 2, data: JSON.parse(payload.data) })
    expect(Either.getOrThrow(decoded)).toEqual(event)
  })

  it("fails with EventDecodeError on a version newer than this build knows", () => {
    const decoded = decodeEvent({
      position,
      type: "FeedbackReceived",
      schemaVersion: 3,
      data: { sessionId: "s-3", rating: 0, source: "cli" }
    })
    assert.isTrue(Either.isLeft(decoded))
    if (Either.isLeft(decoded)) {
      expect(decoded.left._tag).toBe("EventDecodeError")
      expect(decoded.left.position).toBe(42)
      expect(decoded.left.schemaVersion).toBe(3)
      expect(decoded.left.message).toContain("newer")
    }
    assert.isTrue(Either.isLeft(decodeEvent({ position, type: "SessionStarted", schemaVersion: 2, data: {} })))
  })

  it("fails with EventDecodeError when a v1 row is not a valid v1 shape", () => {
    const outOfRange = decodeEvent({ position, type: "FeedbackReceived", schemaVersion: 1, data: { sessionId: "s", rating: 2 } })
    assert.isTrue(Either.isLeft(outOfRange))
    if (Either.isLeft(outOfRange)) expect(outOfRange.left.message).toContain("FeedbackReceived v1")
    assert.isTrue(Either.isLeft(decodeEvent({ position, type: "FeedbackReceived", schemaVersion: 1, data: "text" })))
  })

  it("rejects schema versions below 1", () => {
    assert.isTrue(Either.isLeft(upcast("FeedbackReceived", 0, {})))
    assert.isTrue(Either.isLeft(upcast("SessionStarted", -1, {})))
  })
})

describe("upcasting through a stored log (SQLite)", () => {
  it.scoped("reads a v1 row as the current class, and refuses a row from a newer build", () =>
    Effect.gen(function*() {
      const file = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const sessionId = SessionId.make("upcast-1")
        const stream = sessionStream(sessionId)
        const v1 = { eventId: EventId.make("feedback-v1"), type: "FeedbackReceived", schemaVersion: 1, metadata: {} }
        yield* log.appendEncoded(stream, "no_stream", [{ ...v1, data: JSON.stringify({ sessionId, rating: 0.25 }) }])
        yield* log.append(stream, "any", [new FeedbackReceived({ sessionId, rating: -1, source: "http" })])

        const raw = yield* log.readStreamRaw(stream)
        expect(raw.map((row) => row.schemaVersion)).toEqual([1, 2])
        const events = yield* log.readStream(stream)
        expect(events.map((e) => e.event)).toEqual([
          new FeedbackReceived({ sessionId, rating: 0.25, source: "unknown" }),
          new FeedbackReceived({ sessionId, rating: -1, source: "http" })
        ])
        expect(events[0]!.schemaVersion).toBe(1)

        const future = SessionId.make("upcast-2")
        yield* log.appendEncoded(sessionStream(future), "no_stream", [{
          eventId: EventId.make("feedback-v3"),
          type: "FeedbackReceived",
          schemaVersion: 3,
          data: JSON.stringify({ sessionId: future, rating: 0, source: "cli", mood: "fine" }),
          metadata: {}
        }])
        const error = yield* Effect.flip(log.readStream(sessionStream(future)))
        expect(error._tag).toBe("EventDecodeError")
        if (error._tag === "EventDecodeError") expect(error.schemaVersion).toBe(3)
      }).pipe(Effect.provide(sqliteEventLogLayer(file)))
    }))
})
