/**
 * Catch-up-then-live subscriptions over a LogStorage. Every commit of this process publishes a CommitNotice.
 * Where the backend allows it (LogStorage.tailFromCommits), the notice carries the committed rows, so the
 * subscribers that are caught up share them instead of each querying storage; a subscriber that is behind, or
 * sees a gap (rows committed by another process, or notices it was too slow to keep), reads storage itself
 * from its cursor and then goes on with the notices. Without rows (PostgreSQL), a notice only wakes
 * subscribers, which then read storage.
 */
import { Chunk, Effect, PubSub, Queue, Stream } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../domain/Ids.ts"
import type { EventRow } from "./AppendPlan.ts"
import { noMetadata } from "./Envelope.ts"
import type { RecordedEvent } from "./Envelope.ts"
import type { EventLogError } from "./Errors.ts"
import type { SubscribeOptions } from "./EventLog.ts"
import type { EventLogOptions } from "./EventLogOptions.ts"
import type { LogStorage } from "./LogStorage.ts"
import type { TauEvent } from "./TauEvent.ts"

export interface CommitNotice {
  readonly head: number
  /** The committed rows in position order, or undefined: read storage. */
  readonly rows: ReadonlyArray<RecordedEvent> | undefined
}

/** Notices kept per subscriber; one that falls further behind sees a gap and reads storage instead. */
export const NOTICE_CAPACITY = 64

/** The event instances rows of commit notices were encoded from (see EncodedEvent's `source`). */
const sources = new WeakMap<RecordedEvent, TauEvent>()

/** The instance a live row was encoded from in this process, if it was: decoding its `data` gives an equal one. */
export const sourceOf = (row: RecordedEvent): TauEvent | undefined => sources.get(row)

/**
 * A live row whose `data` is parsed when first read. Its subscribers in this process take the event instance it
 * was encoded from (`sourceOf`) when there is one, so most never read `data`: parsing it for each row was ~2 % of
 * a proxied request. The getter is an own enumerable property: a spread or JSON.stringify of the row has `data`.
 */
const liveRecord = (row: EventRow, metadata: RecordedEvent["metadata"]): RecordedEvent => {
  const text = row.data
  let parsed: unknown
  let read = false
  return {
    position: row.position as Position,
    eventId: row.eventId as EventId,
    streamId: row.streamId as StreamId,
    streamVersion: row.streamVersion as StreamVersion,
    type: row.type,
    schemaVersion: row.schemaVersion,
    get data(): unknown {
      if (!read) {
        parsed = JSON.parse(text)
        read = true
      }
      return parsed
    },
    metadata,
    recordedAt: row.recordedAt
  }
}

/** Rows as a reader would get them back from storage. */
export const recordedFromRows = (rows: ReadonlyArray<EventRow>): ReadonlyArray<RecordedEvent> => {
  const out: Array<RecordedEvent> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const recorded = liveRecord(row, row.metadata === "{}" ? noMetadata : JSON.parse(row.metadata))
    if (row.source !== undefined) sources.set(recorded, row.source)
    out[i] = recorded
  }
  return out
}

/** Rows of `notices` from `cursor` on, or undefined when they do not continue it without a gap. */
const continuing = (notices: ReadonlyArray<CommitNotice>, cursor: number): Array<RecordedEvent> | undefined => {
  const out: Array<RecordedEvent> = []
  let next = cursor
  for (const notice of notices) {
    if (notice.rows === undefined) return undefined
    for (const row of notice.rows) {
      if (row.position < next) continue
      if (row.position !== next) return undefined
      out.push(row)
      next++
    }
  }
  return out
}

export const makeSubscribeRaw = (
  storage: LogStorage,
  options: EventLogOptions,
  commits: PubSub.PubSub<CommitNotice>,
  /** Counts live subscribers, so commits build shared rows only when someone listens. */
  listeners: { count: number }
) =>
(fromPosition: number, subscribeOptions?: SubscribeOptions): Stream.Stream<RecordedEvent, EventLogError> => {
  const pageSize = subscribeOptions?.pageSize ?? options.pageSize
  const linger = subscribeOptions?.linger ?? Effect.void
  return Stream.unwrapScoped(Effect.gen(function*() {
    // Counted before subscribing (commits publish only while someone is counted), and subscribed to notices
    // before the first read, so a commit between a read and the wait is never missed.
    yield* Effect.acquireRelease(
      Effect.sync(() => listeners.count++),
      () => Effect.sync(() => listeners.count--)
    )
    const notices = yield* PubSub.subscribe(commits)
    const external = yield* Queue.sliding<void>(1)
    yield* storage.externalCommits.pipe(
      Stream.runForEach(() => Queue.offer(external, undefined)),
      Effect.catchAllCause((cause) => Effect.logWarning("event log: commit notifications lost, polling", cause)),
      Effect.forkScoped
    )
    /**
     * The notices that arrived, or undefined after a poll interval or an external commit: read storage. A commit
     * (local or external) is followed by the linger before anything is taken, so commits arriving meanwhile come
     * along; the poll interval has waited long enough already.
     */
    const waitForCommit = Effect.raceFirst(
      Effect.map(Queue.take(notices), (notice): ReadonlyArray<CommitNotice> | "external" => [notice]),
      Effect.as(Queue.take(external), "external" as const)
    ).pipe(
      Effect.timeout(options.pollInterval),
      Effect.orElseSucceed(() => undefined),
      Effect.flatMap((first) =>
        first === undefined
          ? Effect.as(Queue.takeAll(notices), undefined)
          : Effect.zipRight(
            linger,
            Effect.map(Queue.takeAll(notices), (rest) => (first === "external" ? undefined : [...first, ...rest]))
          )
      ),
      Effect.zipLeft(Queue.takeAll(external))
    )
    let cursor = Math.max(1, fromPosition)
    // True while storage may hold rows from `cursor` on that no notice will bring.
    let behind = true
    const nextPage = Effect.gen(function*() {
      while (true) {
        if (behind) {
          const page = yield* storage.readAll(cursor, pageSize)
          behind = page.length === pageSize
          if (page.length > 0) {
            cursor = page[page.length - 1]!.position + 1
            return page
          }
        }
        const arrived = yield* waitForCommit
        const rows = arrived === undefined ? undefined : continuing(arrived, cursor)
        if (rows === undefined) {
          behind = true
        } else if (rows.length > 0) {
          cursor = rows[rows.length - 1]!.position + 1
          return rows
        }
      }
    })
    return Stream.repeatEffectChunk(Effect.map(nextPage, (page) => Chunk.unsafeFromArray(page)))
  }))
}
