/**
 * The event log service: the only source of truth. One interface, two storage backends
 * (SqliteEventLog, PgEventLog). A Context.Tag rather than Effect.Service because the implementation is
 * chosen by configuration, not fixed.
 */
import { Context } from "effect"
import type { Effect, Either, Stream } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../domain/Ids.ts"
import type { AppendResult, EncodedEvent, Envelope, EventMetadata, ExpectedVersion, RecordedEvent } from "./Envelope.ts"
import type { AppendError, EventDecodeError, EventLogError } from "./Errors.ts"
import type { LogStats } from "./LogStorage.ts"
import type { TauEvent } from "./TauEvent.ts"

/** An event to append, with its id (deterministic ids make retries idempotent) and metadata. */
export interface NewEvent {
  readonly event: TauEvent
  /** Defaults to a fresh UUIDv7. Actors pass a deterministic id derived from the causing event. */
  readonly eventId?: EventId | undefined
  /** Trace and span ids default to the current span's. */
  readonly metadata?: EventMetadata | undefined
}

export interface EncodedAppend {
  readonly streamId: StreamId
  readonly expected: ExpectedVersion
  readonly events: ReadonlyArray<EncodedEvent>
}

export interface SubscribeOptions {
  /** Rows fetched per catch-up query. */
  readonly pageSize?: number
  /**
   * Once caught up, runs after a commit arrives and before it is delivered, and the commits that arrive meanwhile
   * come in the same chunk: fewer, larger chunks for a consumer with a cost per chunk (a projection's
   * transaction), at the cost of that much lag. Typically `Effect.sleep(…)`, perhaps raced with a signal that
   * someone is waiting.
   */
  readonly linger?: Effect.Effect<void> | undefined
}

export interface EventLogService {
  readonly backend: "sqlite" | "postgres"
  /**
   * Atomically appends `events` to `streamId` if the stream is at `expected`. Concurrent calls are group
   * committed; each caller gets its own result or its own error.
   */
  readonly append: (
    streamId: StreamId,
    expected: ExpectedVersion,
    events: ReadonlyArray<TauEvent | NewEvent>
  ) => Effect.Effect<AppendResult, AppendError>
  /** Append already-encoded events (import, replication). Type and data are not validated here. */
  readonly appendEncoded: (
    streamId: StreamId,
    expected: ExpectedVersion,
    events: ReadonlyArray<EncodedEvent>
  ) => Effect.Effect<AppendResult, AppendError>
  /**
   * Several encoded appends, queued together in this order, so group commit assigns positions in this order.
   * Each request still succeeds or fails on its own (not atomic across requests).
   */
  readonly appendEncodedBatch: (
    requests: ReadonlyArray<EncodedAppend>
  ) => Effect.Effect<ReadonlyArray<Either.Either<AppendResult, AppendError>>>
  readonly readStream: (
    streamId: StreamId,
    fromVersion?: number
  ) => Effect.Effect<ReadonlyArray<Envelope<TauEvent>>, EventLogError | EventDecodeError>
  /** One page of the global log: positions >= fromPosition, ascending. */
  readonly readAll: (
    fromPosition: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<Envelope<TauEvent>>, EventLogError | EventDecodeError>
  readonly readAllRaw: (fromPosition: number, limit: number) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventLogError>
  /** The stream's rows from `fromVersion`, at most `limit` of them (default: all). */
  readonly readStreamRaw: (
    streamId: StreamId,
    fromVersion?: number,
    limit?: number
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventLogError>
  /**
   * Every event with position >= fromPosition: catch-up from storage, then live. Never skips or repeats an
   * event, also under concurrent writers. Never ends on its own.
   */
  readonly subscribe: (
    fromPosition: number,
    options?: SubscribeOptions
  ) => Stream.Stream<Envelope<TauEvent>, EventLogError | EventDecodeError>
  readonly subscribeRaw: (fromPosition: number, options?: SubscribeOptions) => Stream.Stream<RecordedEvent, EventLogError>
  /** Highest committed position; 0 for an empty log. */
  readonly head: Effect.Effect<Position, EventLogError>
  /** Current version of a stream; 0 when it does not exist. */
  readonly streamVersion: (streamId: StreamId) => Effect.Effect<StreamVersion, EventLogError>
  readonly stats: Effect.Effect<LogStats, EventLogError>
}

export class EventLog extends Context.Tag("tau/events/EventLog")<EventLog, EventLogService>() {}
