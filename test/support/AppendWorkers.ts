/**
 * The append load of the crash and multi-process tests: four fibres append batches of 1..4 events to their own
 * streams through one EventLog (so appends are group committed). Event ids are "<tag>-w<k>-s<seq>-<j>of<n>", so
 * a reader can tell whether a batch is whole; each acknowledged append is reported as "<positions> <group>".
 */
import { Effect } from "effect"
import { EventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import type { EventLogService } from "../../src/events/EventLog.ts"
import { sampleEvent, sampleSessionId } from "./Events.ts"

export const appendWorkers = (log: EventLogService, tag: string, limit: number, onAck: (line: string) => void) =>
  Effect.all(
    [0, 1, 2, 3].map((w) =>
      Effect.gen(function*() {
        const stream = StreamId.make(`crash-${tag}-${w}`)
        const sessionId = sampleSessionId()
        let version = 0
        for (let seq = 0; seq < limit; seq++) {
          const n = 1 + ((seq + w) % 4)
          const group = `${tag}-w${w}-s${seq}`
          const events = Array.from({ length: n }, (_, j) => ({
            event: sampleEvent(seq * 10 + j, sessionId),
            eventId: EventId.make(`${group}-${j}of${n}`)
          }))
          const result = yield* log.append(stream, version === 0 ? "no_stream" : StreamVersion.make(version), events)
          version = result.streamVersion
          onAck(`${result.positions.join(",")} ${group}`)
        }
      })
    ),
    { concurrency: "unbounded", discard: true }
  )

/** Events written by `limit` appends of each of the four workers. */
export const eventsPerRun = (limit: number) => {
  let total = 0
  for (let w = 0; w < 4; w++) for (let seq = 0; seq < limit; seq++) total += 1 + ((seq + w) % 4)
  return total
}
