import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import Database from "better-sqlite3"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { ConfigProvider, Context, Deferred, Duration, Effect, Fiber, Layer, Logger, LogLevel } from "effect"
import { StreamVersion } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../../src/events/sqlite/migrations.ts"
import { sampleEvent } from "../support/Events.ts"
import { sqliteDatabaseLayer, sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { eventLogContract } from "./contract/EventLogContract.ts"
import { streamOf } from "./contract/helpers.ts"

eventLogContract("sqlite", Effect.map(tempSqliteFile, (file) => () => sqliteEventLogLayer(file)))
eventLogContract("sqlite, WAL flushed in the background", Effect.map(tempSqliteFile, (file) => () => sqliteEventLogLayer(file, {}, "background")))

const pragma = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<Record<string, unknown>>(`PRAGMA ${name}`)).pipe(
    Effect.map((rows) => Object.values(rows[0] ?? {})[0])
  )

describe("SQLite database and event log specifics", () => {
  it.live("WAL; the log commits with synchronous=FULL by default (NORMAL when configured), projections with NORMAL; the parent directory is created", () =>
    Effect.scoped(Effect.gen(function*() {
      const base = yield* tempSqliteFile
      const file = join(dirname(base), "nested", "deeper", "tau.db")
      const full = yield* Effect.all([pragma("journal_mode"), pragma("synchronous"), pragma("busy_timeout"), SqliteDatabase.LogSynchronous]).pipe(
        Effect.provide(sqliteDatabaseLayer(file))
      )
      expect(full).toEqual(["wal", 1, 5000, "FULL"])
      expect(existsSync(file)).toBe(true)
      const normal = yield* SqliteDatabase.LogSynchronous.pipe(
        Effect.provide(SqliteDatabase.layerConfig({ filename: file, migrations: sqliteEventLogMigrations })),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["TAU_SQLITE_SYNCHRONOUS", "NORMAL"]])))
      )
      expect(normal).toBe("NORMAL")
    })))

  it.live("migrations run once; a later migration id is applied to an existing database", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      yield* Effect.flatMap(EventLog, (log) => log.append(streamOf("m"), "no_stream", [sampleEvent(1)])).pipe(
        Effect.provide(sqliteEventLogLayer(file))
      )
      const later = {
        ...sqliteEventLogMigrations,
        "0002_later": Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE later_table (x INTEGER)`)
      }
      const applied = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ readonly migration_id: number }>`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`).pipe(
          Effect.provide(SqliteDatabase.layer({ filename: file, migrations: later }))
        )
      expect(applied.map((r) => r.migration_id)).toEqual([1, 2])
      const head = yield* Effect.flatMap(EventLog, (log) => log.head).pipe(Effect.provide(sqliteEventLogLayer(file)))
      expect(head).toBe(1)
    })))

  it.live("opening a file while another process is still migrating it waits for those migrations", () =>
    Effect.scoped(Effect.gen(function*() {
      // The schema as Tau's migrations leave it, taken from a template file.
      const template = yield* tempSqliteFile
      yield* Effect.scoped(Layer.build(sqliteEventLogLayer(template)))
      const source = new Database(template, { readonly: true })
      const ddl = source.prepare(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'effect_sql_migrations' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
      ).pluck().all() as Array<string>
      const migrationRows = source.prepare("SELECT migration_id, name FROM effect_sql_migrations").raw().all() as Array<[number, string]>
      const migrationsTable = source.prepare("SELECT sql FROM sqlite_master WHERE name = 'effect_sql_migrations'").pluck().get() as string
      source.close()

      // "Another process": the migrations table exists, and its migration transaction is open and uncommitted.
      const file = yield* tempSqliteFile
      const other = new Database(file)
      other.pragma("journal_mode = WAL")
      other.exec(migrationsTable)
      other.exec("BEGIN IMMEDIATE")
      for (const statement of ddl) other.exec(statement)
      const insert = other.prepare("INSERT INTO effect_sql_migrations (migration_id, name) VALUES (?, ?)")
      for (const [id, name] of migrationRows) insert.run(id, name)

      const opening = yield* Effect.fork(Effect.gen(function*() {
        const context = yield* Layer.build(sqliteEventLogLayer(file))
        return yield* Context.get(context, EventLog).append(streamOf("after-migrations"), "no_stream", [sampleEvent(1)])
      }))
      yield* Effect.sleep(Duration.millis(300))
      other.exec("COMMIT")
      other.close()
      const appended = yield* Fiber.join(opening)
      expect(appended.streamVersion).toBe(1)
    })))

  it.live("a writer's cached stream versions give way to another writer's appends (two logs on one file)", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const one = yield* Layer.build(sqliteEventLogLayer(file))
      const two = yield* Layer.build(sqliteEventLogLayer(file))
      const logOne = Context.get(one, EventLog)
      const logTwo = Context.get(two, EventLog)
      const s = streamOf("shared")
      yield* logOne.append(s, "no_stream", [sampleEvent(1)])
      yield* logOne.append(s, StreamVersion.make(1), [sampleEvent(2)])
      // The other writer moves the stream; the first one's cache says version 2.
      yield* logTwo.append(s, StreamVersion.make(2), [sampleEvent(3)])
      const stale = yield* Effect.flip(logOne.append(s, StreamVersion.make(2), [sampleEvent(4)]))
      expect(stale).toMatchObject({ _tag: "StreamVersionConflict", actual: 3 })
      const next = yield* logOne.append(s, StreamVersion.make(3), [sampleEvent(5)])
      expect(next.streamVersion).toBe(4)
      // A retry of stored events through the first writer (its cache knows nothing of their ids).
      const stored = (yield* logTwo.readStreamRaw(s)).slice(2, 3)
      const retry = yield* logOne.appendEncoded(s, "any", stored.map((r) => ({
        eventId: r.eventId,
        type: r.type,
        schemaVersion: r.schemaVersion,
        data: JSON.stringify(r.data),
        metadata: r.metadata
      })))
      expect(retry).toMatchObject({ written: false, streamVersion: 3 })
      expect((yield* logOne.readStream(s)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4])
    })))

  it.live("reads use their own connection: they do not wait behind an open write transaction", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const sql = yield* SqlClient.SqlClient
        yield* log.append(streamOf("r"), "no_stream", [sampleEvent(1)])
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const writer = yield* sql.withTransaction(
          Effect.zipRight(sql`DELETE FROM tau_events WHERE 0`, Effect.zipRight(Deferred.succeed(inside, undefined), Deferred.await(release)))
        ).pipe(Effect.fork)
        yield* Deferred.await(inside)
        const read = yield* log.readAll(1, 10).pipe(Effect.timeout(Duration.seconds(2)))
        expect(read.map((e) => e.position)).toEqual([1])
        expect((yield* log.stats).events).toBe(1)
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(writer)
      }).pipe(Effect.provide(sqliteEventLogLayer(file)))
    })))

  it.live("another process holding the write lock past busy_timeout fails the append with reason busy", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const layer = SqliteEventLog.layerWith(defaultEventLogOptions).pipe(
        Layer.provideMerge(SqliteDatabase.layer({ filename: file, busyTimeoutMs: 100, migrations: sqliteEventLogMigrations }))
      )
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const other = new Database(file)
        other.exec("BEGIN IMMEDIATE")
        const error = yield* Effect.flip(log.append(streamOf("b"), "no_stream", [sampleEvent(1)]))
        other.exec("ROLLBACK")
        other.close()
        expect(error).toMatchObject({ _tag: "EventLogError", method: "append", reason: "busy" })
        expect((yield* log.append(streamOf("b"), "no_stream", [sampleEvent(2)])).positions).toEqual([1])
      }).pipe(Effect.provide(layer))
    })).pipe(Logger.withMinimumLogLevel(LogLevel.None)))

  it.live("stats count the WAL file in the bytes on disk", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        yield* log.append(streamOf("s"), "no_stream", Array.from({ length: 200 }, (_, i) => sampleEvent(i)))
        const stats = yield* log.stats
        const pages = (yield* pragma("page_count")) as number * ((yield* pragma("page_size")) as number)
        expect(existsSync(`${file}-wal`)).toBe(true)
        expect(stats.bytes).toBeGreaterThan(pages)
      }).pipe(Effect.provide(sqliteEventLogLayer(file)))
    })))

  it.live("an in-memory database works with one connection", () =>
    Effect.gen(function*() {
      const log = yield* EventLog
      yield* log.append(streamOf("mem"), "no_stream", [sampleEvent(1), sampleEvent(2)])
      expect((yield* log.readAll(1, 10)).map((e) => e.streamVersion)).toEqual([1, 2])
      expect((yield* log.stats).events).toBe(2)
    }).pipe(Effect.provide(sqliteEventLogLayer(":memory:"))))
})
