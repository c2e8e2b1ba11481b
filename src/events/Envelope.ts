/**
 * What the log stores around an event: position, stream, version, type, schema version, metadata.
 * `RecordedEvent` is the raw row (data still JSON); `Envelope<E>` carries the decoded event.
 */
import { Schema } from "effect"
import { EventId, Position, StreamId, StreamVersion } from "../domain/Ids.ts"
import type { TauEvent } from "./TauEvent.ts"

export const EventMetadata = Schema.Struct({
  causationId: Schema.optional(EventId),
  correlationId: Schema.optional(Schema.String),
  actor: Schema.optional(Schema.String),
  traceId: Schema.optional(Schema.String),
  spanId: Schema.optional(Schema.String)
})
export type EventMetadata = typeof EventMetadata.Type

/** Metadata with nothing in it, shared (frozen) by every event written or read without any. */
export const noMetadata: EventMetadata = Object.freeze({})

/** Expected version of a stream for an append: an exact version, "no_stream" (must not exist) or "any". */
export const ExpectedVersion = Schema.Union(StreamVersion, Schema.Literal("no_stream", "any"))
export type ExpectedVersion = typeof ExpectedVersion.Type

/** A row of the log, data still encoded. Plain object (not a class) because readers build millions of them. */
export interface RecordedEvent {
  readonly position: Position
  readonly eventId: EventId
  readonly streamId: StreamId
  readonly streamVersion: StreamVersion
  readonly type: string
  readonly schemaVersion: number
  readonly data: unknown
  readonly metadata: EventMetadata
  readonly recordedAt: Date
}

export interface Envelope<E> {
  readonly position: Position
  readonly eventId: EventId
  readonly streamId: StreamId
  readonly streamVersion: StreamVersion
  readonly type: string
  readonly schemaVersion: number
  readonly event: E
  readonly metadata: EventMetadata
  readonly recordedAt: Date
}

/** An event ready for storage: encoded type, schema version and JSON text. */
export interface EncodedEvent {
  readonly eventId: EventId
  readonly type: string
  readonly schemaVersion: number
  /** JSON text of the encoded event without its tag. Compared byte for byte for idempotent retries. */
  readonly data: string
  readonly metadata: EventMetadata
  /** Kept by `tau log import`; defaults to the commit time. */
  readonly recordedAt?: Date | undefined
  /**
   * The instance `data` was encoded from, when the log encoded it itself: never stored, it lets this process's
   * live subscribers skip decoding `data` again.
   */
  readonly source?: TauEvent | undefined
}

/** Outcome of one append call. */
export interface AppendResult {
  readonly streamId: StreamId
  /** Positions of the appended events, in order (the stored ones on an idempotent retry). */
  readonly positions: ReadonlyArray<Position>
  /** The stream's version after this append: pass it as the next expected version. */
  readonly streamVersion: StreamVersion
  /** False when every event was already stored (idempotent retry) and nothing was written. */
  readonly written: boolean
}

/** JSON schema of a recorded event as exported by `tau log export` (one per line). */
export const RecordedEventJson = Schema.Struct({
  position: Position,
  eventId: EventId,
  streamId: StreamId,
  streamVersion: StreamVersion,
  type: Schema.String,
  schemaVersion: Schema.Int,
  data: Schema.Unknown,
  metadata: EventMetadata,
  recordedAt: Schema.DateFromString
})
export type RecordedEventJson = typeof RecordedEventJson.Type
