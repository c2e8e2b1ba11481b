/**
 * Errors of the event log. All cross process boundaries (HTTP, RPC, CLI), so all are Schema errors.
 */
import { Schema } from "effect"
import { EventId, Position, StreamId } from "../domain/Ids.ts"
import { ExpectedVersion } from "./Envelope.ts"

/** The stream was not at the expected version; nothing was written. */
export class StreamVersionConflict extends Schema.TaggedError<StreamVersionConflict>()("StreamVersionConflict", {
  streamId: StreamId,
  expected: ExpectedVersion,
  actual: Schema.Int
}) {
  override get message() {
    return `stream ${this.streamId} is at version ${this.actual}, expected ${this.expected}`
  }
}

/** An event id is already stored with other content (or only part of a batch was stored); nothing was written. */
export class EventIdConflict extends Schema.TaggedError<EventIdConflict>()("EventIdConflict", {
  eventId: EventId,
  streamId: StreamId,
  reason: Schema.Literal("content-differs", "partial-batch", "duplicate-in-append")
}) {
  override get message() {
    return `event id ${this.eventId} on ${this.streamId}: ${this.reason}`
  }
}

/** A stored event could not be decoded by this version of the catalogue. */
export class EventDecodeError extends Schema.TaggedError<EventDecodeError>()("EventDecodeError", {
  position: Position,
  type: Schema.String,
  schemaVersion: Schema.Int,
  message: Schema.String
}) {}

/** Storage failed (database unreachable, disk full, lock timeout). */
export class EventLogError extends Schema.TaggedError<EventLogError>()("EventLogError", {
  method: Schema.Literal("append", "read", "subscribe", "migrate", "stats"),
  reason: Schema.Literal("storage", "busy", "closed", "invalid"),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

export type AppendError = StreamVersionConflict | EventIdConflict | EventLogError
