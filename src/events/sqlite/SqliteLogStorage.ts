/**
 * LogStorage on SQLite. Writes go through the process's one SqlClient (see SqliteDatabase); reads use a
 * second, read-only connection so catch-up never queues behind appends (WAL gives it its own snapshot).
 * Hot paths use fixed SQL text (json_each for key lists, cached multi-row INSERTs) because every statement
 * through the Effect client costs ~14 µs of CPU.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { statSync } from "node:fs"
import { Effect, Stream } from "effect"
import type { Scope } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../../domain/Ids.ts"
import type { EventRow, StorageSnapshot, StoredIdentity } from "../AppendPlan.ts"
import { noMetadata } from "../Envelope.ts"
import type { RecordedEvent } from "../Envelope.ts"
import { EventLogError } from "../Errors.ts"
import type { AppendTransaction, LogStats, LogStorage } from "../LogStorage.ts"
import { EVENT_COLUMNS, forEachInsertChunk, insertText } from "./InsertRows.ts"
import { makeRawWriter, storedIdentityAt } from "./RawWriter.ts"
import { isInMemory } from "./SqliteDatabase.ts"

type Method = EventLogError["method"]

const isBusy = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

const toLogError = (method: Method) => (error: SqlError.SqlError) =>
  new EventLogError({
    method,
    reason: isBusy(error.cause) ? "busy" : "storage",
    message: error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message,
    cause: error.cause
  })

interface IdentityRow {
  readonly position: number
  readonly event_id: string
  readonly stream_id: string
  readonly stream_version: number
  readonly type: string
  readonly schema_version: number
  readonly data: string
}

/** Head (kind 0), stream versions (kind 1) and stored rows with the batch's ids (kind 2) in one statement. */
const LOAD_SQL = "SELECT 0, NULL, coalesce(max(position), 0), NULL, NULL, NULL, NULL, NULL FROM tau_events" +
  " UNION ALL SELECT 1, stream_id, max(stream_version), NULL, NULL, NULL, NULL, NULL FROM tau_events" +
  " WHERE stream_id IN (SELECT value FROM json_each(?)) GROUP BY stream_id" +
  " UNION ALL SELECT 2, event_id, position, stream_id, stream_version, type, schema_version, data FROM tau_events" +
  " WHERE event_id IN (SELECT value FROM json_each(?))"

const toSnapshot = (rows: ReadonlyArray<ReadonlyArray<unknown>>): StorageSnapshot => {
  let head = 0
  const versions = new Map<string, number>()
  const existing = new Map<string, StoredIdentity>()
  for (const r of rows) {
    if (r[0] === 0) head = r[2] as number
    else if (r[0] === 1) versions.set(r[1] as string, r[2] as number)
    else {
      existing.set(r[1] as string, storedIdentityAt(r, 1))
    }
  }
  return { head, versions, existing }
}

const COLUMNS = EVENT_COLUMNS

/** A row of `SELECT ${COLUMNS}` as an array: better-sqlite3's raw mode skips building a keyed object per row. */
type EventValues = readonly [number, string, string, number, string, number, string, string, number]

const toRecorded = (row: EventValues): RecordedEvent => ({
  position: row[0] as Position,
  eventId: row[1] as EventId,
  streamId: row[2] as StreamId,
  streamVersion: row[3] as StreamVersion,
  type: row[4],
  schemaVersion: row[5],
  data: JSON.parse(row[6]),
  metadata: row[7] === "{}" ? noMetadata : JSON.parse(row[7]),
  recordedAt: new Date(row[8])
})

const toRecordedAll = (rows: ReadonlyArray<ReadonlyArray<unknown>>): ReadonlyArray<RecordedEvent> => {
  const out: Array<RecordedEvent> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = toRecorded(rows[i] as EventValues)
  return out
}


/** Opens a read-only connection to the same file, closed with the scope. */
const openReader = (filename: string) =>
  SqliteClient.make({ filename, readonly: true, disableWAL: true }).pipe(
    Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
  )

/** `filename` defaults to the writer client's file. */
export const make = (
  options?: { readonly filename?: string | undefined }
): Effect.Effect<LogStorage, never, SqlClient.SqlClient | SqliteClient.SqliteClient | Scope.Scope> =>
  Effect.gen(function*() {
    const writer = yield* SqlClient.SqlClient
    const filename = options?.filename ?? (yield* SqliteClient.SqliteClient).config.filename
    const reader: SqlClient.SqlClient = isInMemory(filename) ? writer : yield* openReader(filename)

    // A write as the transaction's first statement takes the write lock before any snapshot is read, so a
    // concurrent writer in another process makes us wait (busy_timeout) instead of failing with BUSY_SNAPSHOT.
    const takeWriteLock = writer.unsafe("DELETE FROM tau_events WHERE 0")

    const tx: AppendTransaction = {
      head: writer.unsafe<{ readonly head: number }>("SELECT coalesce(max(position), 0) AS head FROM tau_events").pipe(
        Effect.map((rows) => rows[0]?.head ?? 0),
        Effect.mapError(toLogError("append"))
      ),
      streamVersions: (streamIds) =>
        writer.unsafe<{ readonly stream_id: string; readonly version: number }>(
          "SELECT stream_id, max(stream_version) AS version FROM tau_events" +
            " WHERE stream_id IN (SELECT value FROM json_each(?)) GROUP BY stream_id",
          [JSON.stringify(streamIds)]
        ).pipe(
          Effect.map((rows) => new Map(rows.map((r) => [r.stream_id, r.version] as const))),
          Effect.mapError(toLogError("append"))
        ),
      existing: (eventIds) =>
        writer.unsafe<IdentityRow>(
          "SELECT position, event_id, stream_id, stream_version, type, schema_version, data FROM tau_events" +
            " WHERE event_id IN (SELECT value FROM json_each(?))",
          [JSON.stringify(eventIds)]
        ).pipe(
          Effect.map((rows) =>
            new Map(rows.map((r): readonly [string, StoredIdentity] => [r.event_id, {
              eventId: r.event_id as EventId,
              position: r.position as Position,
              streamId: r.stream_id as StreamId,
              streamVersion: r.stream_version as StreamVersion,
              type: r.type,
              schemaVersion: r.schema_version,
              data: r.data
            }]))
          ),
          Effect.mapError(toLogError("append"))
        ),
      load: (streamIds, eventIds) =>
        writer.unsafe(LOAD_SQL, [JSON.stringify(streamIds), JSON.stringify(eventIds)]).values.pipe(
          Effect.map(toSnapshot),
          Effect.mapError(toLogError("append"))
        ),
      insert: (rows) => Effect.mapError(insertRows(rows), toLogError("append"))
    }

    const insertRows = (rows: ReadonlyArray<EventRow>) =>
      Effect.suspend(() => {
        const chunks: Array<readonly [number, Array<string | number>]> = []
        forEachInsertChunk(rows, (count, params) => chunks.push([count, params]))
        return Effect.forEach(chunks, ([count, params]) => writer.unsafe(insertText(count), params).raw, { discard: true })
      })

    const sharedConnectionTransaction: LogStorage["appendTransaction"] = (body) =>
      writer.withTransaction(
        Effect.zipRight(Effect.mapError(takeWriteLock, toLogError("append")), body(tx))
      ).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(toLogError("append")(e))))

    // A file database gets its own raw append connection (RawWriter.ts); an in-memory one exists only on the
    // shared connection, so it appends through the SQL client.
    const raw = isInMemory(filename)
      ? undefined
      : yield* makeRawWriter({ filename, loadSql: LOAD_SQL, toSnapshot }).pipe(Effect.orDie)

    // Reads end where this process's flushed commits end (RawWriter.visibleThrough): an event is seen here only
    // once it is durable.
    const visibleThrough = raw?.visibleThrough ?? (() => Number.MAX_SAFE_INTEGER)

    const readAll: LogStorage["readAll"] = (fromPosition, limit) =>
      Effect.suspend(() =>
        reader.unsafe(
          `SELECT ${COLUMNS} FROM tau_events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?`,
          [fromPosition, visibleThrough(), limit]
        ).values
      ).pipe(Effect.map(toRecordedAll), Effect.mapError(toLogError("read")))

    const readStream: LogStorage["readStream"] = (streamId, fromVersion, limit) =>
      Effect.suspend(() =>
        reader.unsafe(
          `SELECT ${COLUMNS} FROM tau_events WHERE stream_id = ? AND stream_version >= ? AND position <= ?` +
            " ORDER BY stream_version LIMIT ?",
          [streamId, fromVersion, visibleThrough(), limit]
        ).values
      ).pipe(Effect.map(toRecordedAll), Effect.mapError(toLogError("read")))

    const head = Effect.suspend(() =>
      reader.unsafe<{ readonly head: number }>(
        "SELECT position AS head FROM tau_events WHERE position <= ? ORDER BY position DESC LIMIT 1",
        [visibleThrough()]
      )
    ).pipe(
      Effect.map((rows) => (rows[0]?.head ?? 0) as Position),
      Effect.mapError(toLogError("read"))
    )

    const streamVersion: LogStorage["streamVersion"] = (streamId) =>
      Effect.suspend(() =>
        reader.unsafe<{ readonly version: number }>(
          "SELECT stream_version AS version FROM tau_events WHERE stream_id = ? AND position <= ?" +
            " ORDER BY stream_version DESC LIMIT 1",
          [streamId, visibleThrough()]
        )
      ).pipe(
        Effect.map((rows) => (rows[0]?.version ?? 0) as StreamVersion),
        Effect.mapError(toLogError("read"))
      )

    const walBytes = Effect.sync(() => {
      if (isInMemory(filename)) return 0
      try {
        return statSync(`${filename}-wal`).size
      } catch {
        return 0
      }
    })

    const stats: Effect.Effect<LogStats, EventLogError> = Effect.gen(function*() {
      // One read transaction, so the counts agree with each other.
      const [totals, byType, pages, wal] = yield* reader.withTransaction(Effect.all([
        reader.unsafe<{ readonly events: number; readonly streams: number; readonly head: number }>(
          "SELECT count(*) AS events, count(DISTINCT stream_id) AS streams, coalesce(max(position), 0) AS head FROM tau_events"
        ),
        reader.unsafe<{ readonly type: string; readonly count: number }>(
          "SELECT type, count(*) AS count FROM tau_events GROUP BY type ORDER BY count DESC, type"
        ),
        reader.unsafe<{ readonly bytes: number }>(
          "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()"
        ),
        walBytes
      ]))
      const t = totals[0]
      return {
        events: t?.events ?? 0,
        streams: t?.streams ?? 0,
        head: t?.head ?? 0,
        bytes: (pages[0]?.bytes ?? 0) + wal,
        byType: byType.map((r) => ({ type: r.type, count: r.count }))
      }
    }).pipe(Effect.mapError(toLogError("stats")))

    const storage: LogStorage = {
      backend: "sqlite",
      appendTransaction: raw?.appendTransaction ?? sharedConnectionTransaction,
      ...(raw === undefined ? {} : { appendBatch: raw.appendBatch }),
      readAll,
      readStream,
      head,
      streamVersion,
      stats,
      tailFromCommits: true,
      // The commit still runs on the event loop, but with the flush off it the loop is free while a batch waits.
      blockingAppend: raw?.flushesOffLoop !== true,
      externalCommits: Stream.never
    }
    return storage
  })
