/**
 * The append path on SQLite without the SQL client in between: its own better-sqlite3 connection to the same
 * file, prepared statements held here, and `BEGIN IMMEDIATE` (the write lock before any read). The Effect SQL
 * client costs tens of microseconds per statement; an append transaction is five statements, which at
 * fsync-bound rates was most of the difference to a raw driver.
 *
 * Two writer connections in one process would deadlock on better-sqlite3's synchronous busy wait if one of
 * them held a write transaction across an await. `appendBatch` runs its whole transaction (load, plan, insert,
 * commit) in one synchronous call, so it never holds the lock across an await; it asks for the lock without
 * waiting, and only when that fails (the process's SqlClient connection, or another process, holds it) does it
 * reserve the SqlClient connection, whose transactions are then all closed, and wait for the lock.
 * `appendTransaction` (a body of effects) always reserves first.
 *
 * With `synchronous = FULL` and the `background` flush, COMMIT does not fsync: an append is answered after the
 * WAL is flushed off the event loop (WalSync.ts), and `visibleThrough` tells readers where flushed commits end.
 */
import Database from "better-sqlite3"
import { closeSync, openSync } from "node:fs"
import type { Statement } from "better-sqlite3"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { Scope } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../../domain/Ids.ts"
import { batchKeys, batchStreams, nothingStored, planBatch } from "../AppendPlan.ts"
import type { AppendPlan, AppendRequest, EventRow, StorageSnapshot, StoredIdentity } from "../AppendPlan.ts"
import { EventLogError } from "../Errors.ts"
import { makeVersionCache } from "../VersionCache.ts"
import { forEachInsertChunk, insertText } from "./InsertRows.ts"
import { LogFlushMode, LogSynchronous } from "./SqliteDatabase.ts"
import type { AppendTransaction, BatchCommit, LogStorage } from "../LogStorage.ts"
import { makeWalSync, WalFlush } from "./WalSync.ts"
import type { WalSync } from "./WalSync.ts"

const isConstraint = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT")
}

const isBusy = (cause: unknown): boolean => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))
}

const appendError = (cause: unknown): EventLogError =>
  cause instanceof EventLogError ? cause : new EventLogError({
    method: "append",
    reason: isBusy(cause) ? "busy" : "storage",
    message: cause instanceof Error ? cause.message : String(cause),
    cause
  })

const attempt = <A>(f: () => A) => Effect.try({ try: f, catch: appendError })

/**
 * Up to this many stream and event ids, the snapshot is loaded by index seeks instead of one json_each query:
 * a prepared seek costs ~1 µs, and the json_each query measured 5–13 µs per key on a 64-append batch.
 */
const SEEK_LIMIT = 4096

/** A stored event's identity from a raw row whose columns from `at` on are event_id, position, stream_id, stream_version, type, schema_version, data. */
export const storedIdentityAt = (r: ReadonlyArray<unknown>, at: number): StoredIdentity => ({
  eventId: r[at] as EventId,
  position: r[at + 1] as Position,
  streamId: r[at + 2] as StreamId,
  streamVersion: r[at + 3] as StreamVersion,
  type: r[at + 4] as string,
  schemaVersion: r[at + 5] as number,
  data: r[at + 6] as string
})

export interface RawWriterOptions {
  readonly filename: string
  readonly loadSql: string
  readonly toSnapshot: (rows: ReadonlyArray<ReadonlyArray<unknown>>) => StorageSnapshot
}

export interface RawWriter {
  readonly appendTransaction: LogStorage["appendTransaction"]
  readonly appendBatch: NonNullable<LogStorage["appendBatch"]>
  /** True when an append waits for a flush off the event loop rather than an fsync inside COMMIT. */
  readonly flushesOffLoop: boolean
  /** The highest position this process may read: commits above it are not flushed yet. */
  readonly visibleThrough: () => number
}

/**
 * The WAL's flusher, when the WAL file can be opened (a plain path: a `file:` URI keeps the fsync inside
 * COMMIT). The descriptor is closed with the scope.
 */
const openWalSync = (db: Database.Database, filename: string) =>
  Effect.gen(function*() {
    if (filename.startsWith("file:")) return undefined
    const flush = yield* WalFlush
    // A read makes SQLite open (and create) the -wal file of a WAL-mode database.
    yield* attempt(() => db.prepare("SELECT 1 FROM tau_events LIMIT 1").get())
    const fd = yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          return openSync(`${filename}-wal`, "r")
        } catch {
          return undefined
        }
      }),
      (fd) => Effect.sync(() => fd !== undefined && closeSync(fd))
    )
    return fd === undefined ? undefined : makeWalSync(fd, flush)
  })

export const makeRawWriter = (
  options: RawWriterOptions
): Effect.Effect<RawWriter, EventLogError, SqlClient.SqlClient | Scope.Scope> =>
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
    const busyTimeout = pragmas[0]?.timeout ?? 5000
    const wal: WalSync | undefined = synchronous === "FULL" && (yield* LogFlushMode) === "background"
      ? yield* openWalSync(db, options.filename)
      : undefined
    yield* attempt(() => {
      db.pragma("busy_timeout = 0")
      db.pragma(`synchronous = ${wal === undefined ? synchronous : "NORMAL"}`)
    })
    /** The commit, answered once durable: at once when COMMIT flushed or nothing was written. */
    const durable = (commit: BatchCommit): Effect.Effect<BatchCommit, EventLogError> =>
      wal === undefined || commit.rows === undefined || commit.rows.length === 0
        ? Effect.succeed(commit)
        : Effect.as(wal.committed(commit.rows[0]!.position), commit)

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

    const insertSync = (rows: ReadonlyArray<EventRow>) =>
      forEachInsertChunk(rows, (count, params) => insertFor(count).run(...params))
    const insert = (rows: ReadonlyArray<EventRow>) => attempt(() => insertSync(rows))

    // A few keys (the usual append): one index seek each is far cheaper than the json_each compound query.
    const loadSnapshot = (streamIds: ReadonlyArray<StreamId>, eventIds: ReadonlyArray<EventId>): StorageSnapshot => {
      if (streamIds.length + eventIds.length > SEEK_LIMIT) {
        return options.toSnapshot(load.all(JSON.stringify(streamIds), JSON.stringify(eventIds)) as Array<Array<unknown>>)
      }
      const versions = new Map<string, number>()
      for (const id of streamIds) {
        const version = versionOf.get(id)
        if (typeof version === "number") versions.set(id, version)
      }
      const existing = new Map<string, StoredIdentity>()
      for (const id of eventIds) {
        const r = storedById.get(id) as ReadonlyArray<unknown> | undefined
        if (r === undefined) continue
        existing.set(id, storedIdentityAt(r, 0))
      }
      return { head: headOf.get() as number, versions, existing }
    }

    // The first position an appendTransaction body inserted, so its commit waits for the flush too.
    let firstInserted: number | undefined
    const tx: AppendTransaction = {
      head: attempt(() => headOf.get() as number),
      streamVersions: (streamIds: ReadonlyArray<StreamId>) =>
        Effect.map(tx.load(streamIds, []), (snapshot) => snapshot.versions),
      existing: (eventIds: ReadonlyArray<EventId>) => Effect.map(tx.load([], eventIds), (snapshot) => snapshot.existing),
      load: (streamIds, eventIds) => attempt(() => loadSnapshot(streamIds, eventIds)),
      insert: (rows) => {
        if (rows.length > 0) firstInserted ??= rows[0]!.position
        return insert(rows)
      }
    }

    const appendTransaction: LogStorage["appendTransaction"] = (body) =>
      Effect.scoped(
        Effect.zipRight(
          Effect.mapError(sql.reserve, appendError),
          Effect.uninterruptible(
            attempt(() => {
              const broken = wal?.failure()
              if (broken !== undefined) throw broken
              db.pragma(`busy_timeout = ${busyTimeout}`)
              firstInserted = undefined
              begin.run()
            }).pipe(
              Effect.zipRight(body(tx)),
              Effect.tap(() => attempt(() => commit.run())),
              Effect.tapErrorCause(() => Effect.sync(() => db.inTransaction && rollback.run())),
              Effect.ensuring(Effect.sync(() => db.pragma("busy_timeout = 0")))
            )
          )
        )
      ).pipe(Effect.tap(() => wal === undefined || firstInserted === undefined ? Effect.void : wal.committed(firstInserted)))

    const cache = makeVersionCache()

    /**
     * The usual batch (new event ids): versions from the cache or by seek, ids not looked up — the unique index
     * on event_id refuses a stored one, and then the batch is planned again with the stored rows (`full`).
     */
    const optimisticSnapshot = (streamIds: ReadonlyArray<StreamId>): StorageSnapshot | undefined => {
      if (streamIds.length > SEEK_LIMIT) return undefined
      const head = headOf.get() as number
      cache.moveTo(head)
      const versions = new Map<string, number>()
      for (const id of streamIds) {
        let version = cache.get(id)
        if (version === undefined) {
          const stored = versionOf.get(id)
          version = typeof stored === "number" ? stored : 0
          cache.set(id, version)
        }
        if (version > 0) versions.set(id, version)
      }
      return { head, versions, existing: nothingStored }
    }

    const plannedCommit = (plan: AppendPlan): BatchCommit => {
      if (plan.rows.length > 0) insertSync(plan.rows)
      commit.run()
      cache.remember(plan)
      return { outcomes: plan.outcomes, head: plan.head, written: plan.rows.length, rows: plan.rows }
    }

    /** The whole append transaction, synchronously: nothing else in this process runs while it holds the lock. */
    const runBatch = (requests: ReadonlyArray<AppendRequest>, recordedAt: Date): BatchCommit => {
      const streamIds = batchStreams(requests)
      begin.run()
      try {
        const snapshot = optimisticSnapshot(streamIds)
        const plan = snapshot === undefined ? undefined : planBatch(requests, snapshot, recordedAt)
        // Any refusal may really be a retry of stored events (idempotent success): decided with the stored rows.
        if (plan !== undefined && plan.outcomes.every((outcome) => outcome._tag === "Success")) {
          try {
            return plannedCommit(plan)
          } catch (cause) {
            if (!isConstraint(cause)) throw cause
            // A stored event id (a retry): plan again with the stored rows.
            if (db.inTransaction) rollback.run()
            cache.forget()
            begin.run()
          }
        }
        return plannedCommit(planBatch(requests, loadSnapshot(streamIds, batchKeys(requests).eventIds), recordedAt))
      } catch (cause) {
        cache.forget()
        if (db.inTransaction) rollback.run()
        throw cause
      }
    }

    const appendBatchWaiting = (requests: ReadonlyArray<AppendRequest>, recordedAt: Date) =>
      Effect.scoped(
        Effect.zipRight(
          Effect.mapError(sql.reserve, appendError),
          attempt(() => {
            db.pragma(`busy_timeout = ${busyTimeout}`)
            try {
              return runBatch(requests, recordedAt)
            } finally {
              db.pragma("busy_timeout = 0")
            }
          })
        )
      )

    const appendBatch: RawWriter["appendBatch"] = (requests, recordedAt) =>
      Effect.suspend(() => {
        const broken = wal?.failure()
        if (broken !== undefined) return Effect.fail(broken)
        // An appendTransaction body is open on this connection: wait for it under the reservation.
        if (db.inTransaction) return Effect.flatMap(appendBatchWaiting(requests, recordedAt), durable)
        try {
          return durable(runBatch(requests, recordedAt))
        } catch (cause) {
          return isBusy(cause)
            ? Effect.flatMap(appendBatchWaiting(requests, recordedAt), durable)
            : Effect.fail(appendError(cause))
        }
      })

    const everything = () => Number.MAX_SAFE_INTEGER
    return { appendTransaction, appendBatch, flushesOffLoop: wal !== undefined, visibleThrough: wal?.visibleThrough ?? everything }
  })
