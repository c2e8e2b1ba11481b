/**
 * The pure heart of `append`: given what the database holds (head position, stream versions, rows with
 * the same event ids), decide each request of a group-commit batch in order and produce the rows to insert.
 * Both backends call it inside their write transaction, so SQLite and PostgreSQL share one set of rules.
 */
import type { EventId, Position, StreamId, StreamVersion } from "../domain/Ids.ts"
import type { AppendResult, EncodedEvent, ExpectedVersion } from "./Envelope.ts"
import { EventIdConflict, StreamVersionConflict } from "./Errors.ts"
import type { TauEvent } from "./TauEvent.ts"

export interface AppendRequest {
  readonly streamId: StreamId
  readonly expected: ExpectedVersion
  readonly events: ReadonlyArray<EncodedEvent>
}

/** The identity of a stored event, enough to tell an idempotent retry from a conflicting reuse of an id. */
export interface StoredIdentity {
  readonly eventId: EventId
  readonly position: Position
  readonly streamId: StreamId
  readonly streamVersion: StreamVersion
  readonly type: string
  readonly schemaVersion: number
  readonly data: string
}

export interface EventRow {
  readonly position: Position
  readonly eventId: EventId
  readonly streamId: StreamId
  readonly streamVersion: StreamVersion
  readonly type: string
  readonly schemaVersion: number
  readonly data: string
  readonly metadata: string
  readonly recordedAt: Date
  /** See EncodedEvent's `source`. */
  readonly source?: TauEvent | undefined
}

export type AppendOutcome =
  | { readonly _tag: "Success"; readonly result: AppendResult }
  | { readonly _tag: "Failure"; readonly error: StreamVersionConflict | EventIdConflict }

export interface StorageSnapshot {
  readonly head: number
  /** Current version of each stream named in the batch (absent = stream does not exist). */
  readonly versions: ReadonlyMap<string, number>
  /** Stored rows whose event id appears in the batch. */
  readonly existing: ReadonlyMap<string, StoredIdentity>
}

export interface AppendPlan {
  readonly outcomes: ReadonlyArray<AppendOutcome>
  readonly rows: ReadonlyArray<EventRow>
  readonly head: number
}

/** A snapshot's `existing` when no stored ids were looked up (the unique index refuses any, see the writers). */
export const nothingStored: ReadonlyMap<string, StoredIdentity> = new Map()

/** Distinct stream ids named by a batch, in first-seen order. */
export const batchStreams = (requests: ReadonlyArray<AppendRequest>): Array<StreamId> =>
  requests.length === 1 ? [requests[0]!.streamId] : [...new Set(requests.map((request) => request.streamId))]

/** Distinct stream ids and event ids named by a batch: what the backend must load before planning. */
export const batchKeys = (requests: ReadonlyArray<AppendRequest>) => {
  const streams = new Set<StreamId>()
  const eventIds = new Set<EventId>()
  for (const request of requests) {
    streams.add(request.streamId)
    for (const event of request.events) eventIds.add(event.eventId)
  }
  return { streamIds: [...streams], eventIds: [...eventIds] }
}

const versionMatches = (expected: ExpectedVersion, actual: number): boolean =>
  expected === "any" || (expected === "no_stream" ? actual === 0 : expected === actual)

export const planBatch = (
  requests: ReadonlyArray<AppendRequest>,
  snapshot: StorageSnapshot,
  recordedAt: Date
): AppendPlan => {
  let head = snapshot.head
  // Versions as the batch moves them; a batch of one request reads the snapshot's and moves nothing.
  const moved = requests.length > 1 ? new Map(snapshot.versions) : undefined
  const existing = snapshot.existing
  // Ids written by earlier requests of this batch; made only when a batch has more than one request.
  let added: Map<string, StoredIdentity> | undefined
  const rows: Array<EventRow> = []
  const outcomes: Array<AppendOutcome> = []
  const known = (eventId: string): StoredIdentity | undefined => existing.get(eventId) ?? added?.get(eventId)

  for (let i = 0; i < requests.length; i++) {
    outcomes.push(planOne(requests[i]!, i < requests.length - 1))
  }
  return { outcomes, rows, head }

  function planOne(request: AppendRequest, more: boolean): AppendOutcome {
    const { streamId, events } = request
    const duplicate = firstDuplicate(events)
    if (duplicate !== undefined) {
      return failure(new EventIdConflict({ eventId: duplicate, streamId, reason: "duplicate-in-append" }))
    }
    let found = 0
    for (const event of events) if (known(event.eventId) !== undefined) found++

    if (found > 0) return retried(request)

    const actual = (moved ?? snapshot.versions).get(streamId) ?? 0
    if (!versionMatches(request.expected, actual)) {
      return failure(new StreamVersionConflict({ streamId, expected: request.expected, actual }))
    }

    const positions: Array<Position> = []
    let version = actual
    for (const event of events) {
      head += 1
      version += 1
      const row: EventRow = {
        position: head as Position,
        eventId: event.eventId,
        streamId,
        streamVersion: version as StreamVersion,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: JSON.stringify(event.metadata),
        recordedAt: event.recordedAt ?? recordedAt,
        source: event.source
      }
      rows.push(row)
      if (more) (added ??= new Map()).set(event.eventId, row)
      positions.push(row.position)
    }
    moved?.set(streamId, version)
    return success({ streamId, positions, streamVersion: version as StreamVersion, written: events.length > 0 })
  }

  /** Some ids are already stored: an idempotent retry only if all are, with identical content, in order. */
  function retried(request: AppendRequest): AppendOutcome {
    const { streamId, events } = request
    const positions: Array<Position> = []
    let previous: StoredIdentity | undefined
    for (const event of events) {
      const stored = known(event.eventId)
      if (stored === undefined) {
        return failure(new EventIdConflict({ eventId: event.eventId, streamId, reason: "partial-batch" }))
      }
      const same = stored.streamId === streamId && stored.type === event.type &&
        stored.schemaVersion === event.schemaVersion && stored.data === event.data &&
        (previous === undefined || stored.streamVersion === previous.streamVersion + 1)
      if (!same) return failure(new EventIdConflict({ eventId: event.eventId, streamId, reason: "content-differs" }))
      positions.push(stored.position)
      previous = stored
    }
    return success({ streamId, positions, streamVersion: previous!.streamVersion, written: false })
  }
}

/** The first event id that repeats an earlier one in the same request (a pairwise scan for the usual few). */
const firstDuplicate = (events: ReadonlyArray<EncodedEvent>): EventId | undefined => {
  if (events.length > 8) {
    const seen = new Set<string>()
    for (const { eventId } of events) {
      if (seen.has(eventId)) return eventId
      seen.add(eventId)
    }
    return undefined
  }
  for (let i = 1; i < events.length; i++) {
    for (let j = 0; j < i; j++) if (events[j]!.eventId === events[i]!.eventId) return events[i]!.eventId
  }
  return undefined
}

const success = (result: AppendResult): AppendOutcome => ({ _tag: "Success", result })
const failure = (error: StreamVersionConflict | EventIdConflict): AppendOutcome => ({ _tag: "Failure", error })
