import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { EventId, StreamId } from "../../src/domain/Ids.ts"
import { encodeEvent } from "../../src/events/Codec.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sampleEvent } from "../support/Events.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"

const withLog = <A, E>(body: Effect.Effect<A, E, EventLog>) =>
  Effect.flatMap(tempSqliteFile, (file) => Effect.provide(body, sqliteEventLogLayer(file)))

describe("appendEncoded validates what it did not encode itself", () => {
  it.scoped("data that is not a JSON object is refused and nothing is written; other callers are unaffected", () =>
    withLog(Effect.gen(function*() {
      const log = yield* EventLog
      const good = { eventId: EventId.make("good-1"), ...encodeEvent(sampleEvent(1)), metadata: {} }
      const bad = { eventId: EventId.make("bad-1"), type: "UserMessageReceived", schemaVersion: 1, data: "{not json", metadata: {} }
      const notObject = { ...bad, eventId: EventId.make("bad-2"), data: "[1,2]" }

      const refused = yield* Effect.either(log.appendEncoded(StreamId.make("s-bad"), "any", [good, bad]))
      expect(Either.isLeft(refused) && refused.left._tag === "EventLogError" && refused.left.reason).toBe("invalid")

      const batch = yield* log.appendEncodedBatch([
        { streamId: StreamId.make("s-bad"), expected: "any", events: [notObject] },
        { streamId: StreamId.make("s-good"), expected: "no_stream", events: [good] }
      ])
      expect(Either.isLeft(batch[0]!)).toBe(true)
      expect(Either.isRight(batch[1]!)).toBe(true)

      const all = yield* log.readAllRaw(1, 10)
      expect(all.map((e) => e.eventId)).toEqual(["good-1"])
    })))
})
