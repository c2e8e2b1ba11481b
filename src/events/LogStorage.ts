/**
 * What a backend (SQLite, PostgreSQL) must provide. Everything above it, group commit, planning,
 * idempotency, decoding, catch-up-then-live subscriptions, is shared code in EventLogCore.ts, so both
 * backends obey one contract by construction.
 */
import type { Effect, Stream } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../domain/Ids.ts"
import type { AppendOutcome, AppendRequest, EventRow, StorageSnapshot, StoredIdentity } from "./AppendPlan.ts"
import type { RecordedEvent } from "./Envelope.ts"
import type { EventLogError } from "./Errors.ts"

/** Operations valid inside the append transaction, which holds the log's global write lock. */
export interface AppendTransaction {
  /** Highest committed position (0 when the log is empty). */
  readonly head: Effect.Effect<number, EventLogError>
  readonly streamVersions: (streamIds: ReadonlyArray<StreamId>) => Effect.Effect<ReadonlyMap<string, number>, EventLogError>
  readonly existing: (eventIds: ReadonlyArray<EventId>) => Effect.Effect<ReadonlyMap<string, StoredIdentity>, EventLogError>
  /**
   * Head, versions of `streamIds` and stored rows with `eventIds`, in one round trip: the append lock is held
   * while this runs, so every statement saved here is throughput for every writer.
   */
  readonly load: (
    streamIds: ReadonlyArray<StreamId>,
    eventIds: ReadonlyArray<EventId>
  ) => Effect.Effect<StorageSnapshot, EventLogError>
  /** Insert rows (already numbered) with as few statements as the driver allows. */
  readonly insert: (rows: ReadonlyArray<EventRow>) => Effect.Effect<void, EventLogError>
}

/** What a committed batch reports back: one outcome per request, the new head, and whether rows were written. */
export interface BatchCommit {
  readonly outcomes: ReadonlyArray<AppendOutcome>
  readonly head: number
  readonly written: number
  /** The rows written, when the backend hands them to subscribers (`tailFromCommits`). */
  readonly rows?: ReadonlyArray<EventRow> | undefined
}

export interface LogStats {
  readonly events: number
  readonly streams: number
  readonly head: number
  readonly bytes: number
  readonly byType: ReadonlyArray<{ readonly type: string; readonly count: number }>
}

export interface LogStorage {
  readonly backend: "sqlite" | "postgres"
  /**
   * Runs `body` in one write transaction holding the global append lock, so positions are assigned in
   * commit order: a reader can never see position n+1 before position n is visible.
   */
  readonly appendTransaction: <A>(
    body: (tx: AppendTransaction) => Effect.Effect<A, EventLogError>
  ) => Effect.Effect<A, EventLogError>
  /**
   * Optional: decide and commit a whole batch in one call (for example one round trip to a database
   * function), with exactly the rules of AppendPlan.planBatch. When present the core uses it instead of
   * appendTransaction + planBatch.
   */
  readonly appendBatch?: (
    requests: ReadonlyArray<AppendRequest>,
    recordedAt: Date
  ) => Effect.Effect<BatchCommit, EventLogError>
  /** Events with position >= fromPosition, ascending, at most `limit`. */
  readonly readAll: (fromPosition: number, limit: number) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventLogError>
  /** Events of one stream with version >= fromVersion, ascending, at most `limit`. */
  readonly readStream: (
    streamId: StreamId,
    fromVersion: number,
    limit: number
  ) => Effect.Effect<ReadonlyArray<RecordedEvent>, EventLogError>
  readonly head: Effect.Effect<Position, EventLogError>
  readonly streamVersion: (streamId: StreamId) => Effect.Effect<StreamVersion, EventLogError>
  readonly stats: Effect.Effect<LogStats, EventLogError>
  /**
   * Wake-ups for commits made by other processes (PostgreSQL LISTEN/NOTIFY). Commits of this process wake
   * subscribers directly; a backend without a notification channel returns Stream.never and relies on polling.
   */
  readonly externalCommits: Stream.Stream<void, EventLogError>
  /**
   * True when the rows of a local commit may go straight to caught-up subscribers: positions are assigned
   * under one write lock and become visible in commit order, so once a commit returns no lower position can
   * appear later (SQLite). Subscribers still detect gaps (commits of other processes) and read those.
   */
  readonly tailFromCommits?: boolean | undefined
  /**
   * True when `appendBatch` commits synchronously, holding the event loop (better-sqlite3): nobody can queue
   * behind a lone appender's commit, so every lone appender yields first to let concurrent callers arrive.
   */
  readonly blockingAppend?: boolean | undefined
}
