/**
 * The append path on SQLite without the SQL client in between: its own better-sqlite3 connection to the same
 * file, prepared statements held here, and `BEGIN IMMEDIATE` (the write lock before any read). The Effect SQL
 * client costs tens of microseconds per statement; an append transaction is five statements, which at
 * fsync-bound rates was most of the difference to a raw driver.
 *
 * Two writer connections in one process would deadlock on better-sqlite3's synchronous busy wait if one of
 * them held a write transaction across an await. So every append first reserves the process's SqlClient
 * connection (its transactions are then all closed and none can start), and this connection's transaction
 * never outlives that reservation.
 */
import Database from "better-sqlite3"
import type { Statement } from "better-sqlite3"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { EventId, StreamId } from "../../domain/Ids.ts"
import type { EventRow, StorageSnapshot } from "../AppendPlan.ts"
import { EventLogError } from "../Errors.ts"
import { forEachInsertChunk, insertText } from "./InsertRows.ts"
import { LogSynchronous } from "./SqliteDatabase.ts"
import type { AppendTransaction, LogStorage } from "../LogStorage.ts"

const isBusy = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

const appendError = (cause: unknown) =>
  new EventLogError({
    method: "append",
    reason: isBusy(cause) ? "busy" : "storage",
    message: cause instanceof Error ? cause.message : String(cause),
    cause
  })

const attempt = <A>(f: () => A) => Effect.try({ try: f, catch: appendError })

/** Up to this many stream and event ids, the snapshot is loaded by index seeks instead of one json_each query. */
const SEEK_LIMIT = 16


export interface RawWriterOptions {
  readonly filename: string
  readonly loadSql: string
  readonly toSnapshot: (rows: ReadonlyArray<ReadonlyArray<unknown>>) => StorageSnapshot
}

export const makeRawAppendTransaction = (
  options: RawWriterOptions
): Effect.Effect<LogStorage["appendTransaction"], EventLogError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // The log's own durability (see SqliteDatabase.ts) and the lock wait configured on the shared connection.
    const synchronous = yield* LogSynchronous
    const pragmas = yield* sql.unsafe<{ readonly timeout: number }>(
      "SELECT timeout FROM pragma_busy_timeout()"
    ).pipe(Effect.mapError(appendError))
    const db = yield* Effect.acquireRelease(
      attempt(() => new Database(options.filename, { fileMustExist: true })),
      (handle) => Effect.sync(() => handle.close())
    )
    yield* attempt(() => {
      db.pragma(`busy_timeout = ${pragmas[0]?.timeout ?? 5000}`)
      db.pragma(`synchronous = ${synchronous}`)
    })

    const headOf = db.prepare("SELECT coalesce(max(position), 0) FROM tau_events").pluck()
    const versionOf = db.prepare("SELECT max(stream_version) FROM tau_events WHERE stream_id = ?").pluck()
    const storedById = db.prepare(
      "SELECT event_id, position, stream_id, stream_version, type, schema_version, data FROM tau_events WHERE event_id = ?"
    ).raw(true)
    const begin = db.prepare("BEGIN IMMEDIATE")
    const commit = db.prepare("COMMIT")
    const rollback = db.prepare("ROLLBACK")
    const load = db.prepare(options.loadSql).raw(true)
    const inserts = new Map<number, Statement>()
    const insertFor = (rows: number): Statement => {
      let statement = inserts.get(rows)
      if (statement === undefined) {
        statement = db.prepare(insertText(rows))
        inserts.set(rows, statement)
      }
      return statement
    }

    const insert = (rows: ReadonlyArray<EventRow>) =>
      attempt(() => forEachInsertChunk(rows, (count, params) => insertFor(count).run(...params)))

    const tx: AppendTransaction = {
      head: attempt(() => headOf.get() as number),
      streamVersions: (streamIds: ReadonlyArray<StreamId>) =>
        Effect.map(tx.load(streamIds, []), (snapshot) => snapshot.versions),
      existing: (eventIds: ReadonlyArray<EventId>) => Effect.map(tx.load([], eventIds), (snapshot) => snapshot.existing),
      // A few keys (the usual append): one index seek each is far cheaper than the json_each compound query.
      load: (streamIds, eventIds) =>
        attempt(() => {
          if (streamIds.length + eventIds.length > SEEK_LIMIT) {
            return options.toSnapshot(load.all(JSON.stringify(streamIds), JSON.stringify(eventIds)) as Array<Array<unknown>>)
          }
          const rows: Array<ReadonlyArray<unknown>> = [[0, null, headOf.get()]]
          for (const id of streamIds) {
            const version = versionOf.get(id)
            if (version !== null && version !== undefined) rows.push([1, id, version])
          }
          for (const id of eventIds) {
            const stored = storedById.get(id) as ReadonlyArray<unknown> | undefined
            if (stored !== undefined) rows.push([2, ...stored])
          }
          return options.toSnapshot(rows)
        }),
      insert
    }

    const appendTransaction: LogStorage["appendTransaction"] = (body) =>
      Effect.scoped(
        Effect.zipRight(
          Effect.mapError(sql.reserve, appendError),
          Effect.uninterruptible(
            attempt(() => begin.run()).pipe(
              Effect.zipRight(body(tx)),
              Effect.tap(() => attempt(() => commit.run())),
              Effect.tapErrorCause(() => Effect.sync(() => db.inTransaction && rollback.run()))
            )
          )
        )
      )
    return appendTransaction
  })
