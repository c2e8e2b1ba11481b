import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Arbitrary, Effect, FastCheck as fc } from "effect"
import type { Schema } from "effect"
import { EventId, Position, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import type { Envelope } from "../../src/events/Envelope.ts"
import { TauEvent } from "../../src/events/TauEvent.ts"
import { handlesType } from "../../src/projections/ProjectionPage.ts"
import { builtinProjections } from "../../src/projections/projections.ts"
import { sqliteDatabaseLayer, tempSqliteFile } from "../support/Sqlite.ts"

/** One stream of every kind: `apply` may branch on the stream's kind as well as on the event's type. */
const streams = [
  "session-s1",
  "memory-m1",
  "reward-s1",
  "prompt-p1",
  "experiment-e1",
  "apikey-k1",
  "audit-2026-01-01",
  "cortex",
  "trainer",
  "misc"
]

/** The SQL client with every statement counted (a statement is a call of the `sql` tag or helper). */
const counting = (sql: SqlClient.SqlClient) => {
  let statements = 0
  const proxy = new Proxy(sql, {
    apply: (target, self, args) => {
      statements++
      return Reflect.apply(target, self, args)
    }
  })
  return { proxy, count: () => statements }
}

describe("Projection.handles", () => {
  it("covers the six built-ins except streams, which sees everything", () => {
    assert.deepStrictEqual(
      builtinProjections.filter((p) => p.handles === undefined).map((p) => p.name),
      ["streams"]
    )
  })

  it.scoped("for every built-in, applying an event of a type it does not handle writes nothing", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      const sql = yield* Effect.provide(SqlClient.SqlClient, sqliteDatabaseLayer(filename))
      let checked = 0
      for (const projection of builtinProjections) {
        if (projection.handles === undefined) continue
        for (const member of TauEvent.members) {
          if (handlesType(projection, member._tag)) continue
          for (const event of fc.sample(Arbitrary.make(member as unknown as Schema.Schema<TauEvent, unknown>), 3)) {
            for (const [i, streamId] of streams.entries()) {
              const envelope: Envelope<TauEvent> = {
                position: Position.make(100 + i),
                eventId: EventId.make(`00000000-0000-7000-8000-${String(i).padStart(12, "0")}`),
                streamId: StreamId.make(streamId),
                streamVersion: StreamVersion.make(1),
                type: event._tag,
                schemaVersion: 1,
                event,
                metadata: {},
                recordedAt: new Date("2026-01-01T00:00:00.000Z")
              }
              const { count, proxy } = counting(sql)
              yield* Effect.provideService(projection.apply(envelope), SqlClient.SqlClient, proxy)
              assert.strictEqual(count(), 0, `${projection.name} wrote for ${event._tag} on ${streamId}`)
              checked++
            }
          }
        }
      }
      assert.isAbove(checked, 1000)

      // The count sees statements: the streams projection writes for any event.
      const { count, proxy } = counting(sql)
      const [event] = fc.sample(Arbitrary.make(TauEvent), 1)
      const everything = builtinProjections.find((p) => p.name === "streams")!
      yield* Effect.exit(Effect.provideService(everything.apply({
        position: Position.make(1),
        eventId: EventId.make("e1"),
        streamId: StreamId.make("misc"),
        streamVersion: StreamVersion.make(1),
        type: event!._tag,
        schemaVersion: 1,
        event: event!,
        metadata: {},
        recordedAt: new Date()
      }), SqlClient.SqlClient, proxy))
      assert.strictEqual(count(), 1)
    }))
})
