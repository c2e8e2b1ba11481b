import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { StreamId, StreamVersion } from "../../../src/domain/Ids.ts"
import type { RecordedEvent } from "../../../src/events/Envelope.ts"
import type { EventLogService } from "../../../src/events/EventLog.ts"

/** A literal expected version. */
export const v = (n: number): StreamVersion => StreamVersion.make(n)

export const streamOf = (name: string): StreamId => StreamId.make(`test-${name}`)

/** The whole log, raw, read in pages. */
export const collectAll = (log: EventLogService): Effect.Effect<ReadonlyArray<RecordedEvent>, unknown> =>
  Effect.gen(function*() {
    const out: Array<RecordedEvent> = []
    while (true) {
      const page = yield* log.readAllRaw(out.length + 1, 500)
      if (page.length === 0) return out
      out.push(...page)
    }
  })

/** What must survive a reopen, byte for byte. */
export const eventsFrom = (events: ReadonlyArray<RecordedEvent>) =>
  events.map((e) => ({
    position: e.position,
    eventId: e.eventId,
    streamId: e.streamId,
    streamVersion: e.streamVersion,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt.getTime()
  }))

/** Positions are exactly 1..N in order. */
export const expectGapFree = (events: ReadonlyArray<{ readonly position: number }>) =>
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1))
