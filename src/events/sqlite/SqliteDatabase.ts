/**
 * The SQLite database of a Tau process: one shared connection (WAL), migrated on start, through which the
 * projections write and everything reads; the event log appends on a connection of its own (RawWriter.ts,
 * under a reservation of this one, so the two never wait on each other's lock in one process).
 *
 * Durability is the log's: its commits use the configured `synchronous` (FULL by default). The shared
 * connection commits with NORMAL: in WAL mode that never corrupts, it can only lose the last projection
 * commits on power loss, and those are redone from the log because each projection's checkpoint commits in
 * the same transaction as its rows. An fsync per projection page would otherwise hold the write lock that
 * appends wait for (six projections, six fsyncs per batch of events).
 */
import { NodeContext } from "@effect/platform-node"
import { FileSystem, Path } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { SqliteClient, SqliteMigrator } from "@effect/sql-sqlite-node"
import { Config, Context, Data, Duration, Effect, Layer, Schedule } from "effect"
import type { ConfigError } from "effect"
import { EventLogError } from "../Errors.ts"

/** better-sqlite3 defaults to NORMAL in WAL mode, which can lose the last commits on power loss. */
export type Synchronous = "FULL" | "NORMAL" | "OFF"

/** The durability of event-log commits; RawWriter reads it (absent: FULL). */
export class LogSynchronous extends Context.Reference<LogSynchronous>()("tau/events/sqlite/LogSynchronous", {
  defaultValue: (): Synchronous => "FULL"
}) {}

/**
 * Where a FULL commit's fsync runs. `commit`: inside COMMIT, on the event loop (the lowest latency for one
 * writer alone). `background`: an fdatasync of the WAL on the thread pool (WalSync.ts); ~0.05 ms more per lone
 * append, and the event loop stays free while the disk flushes — what a process serving concurrent work wants.
 */
export type Flush = "commit" | "background"
export const flushModes = ["commit", "background"] as const satisfies ReadonlyArray<Flush>

export class LogFlushMode extends Context.Reference<LogFlushMode>()("tau/events/sqlite/LogFlushMode", {
  defaultValue: (): Flush => "commit"
}) {}

export interface SqliteDatabaseOptions {
  readonly filename: string
  readonly synchronous?: Synchronous | undefined
  /** Where FULL commits flush (default `commit`). */
  readonly flush?: Flush | undefined
  /** How long a writer waits for another process's write lock before failing with reason "busy". */
  readonly busyTimeoutMs?: number | undefined
  readonly migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>
}

export const isInMemory = (filename: string): boolean =>
  filename === "" || filename === ":memory:" || filename.startsWith("file::memory:")

const ensureParentDirectory = (filename: string) =>
  Layer.effectDiscard(Effect.gen(function*() {
    if (isInMemory(filename) || filename.startsWith("file:")) return
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    yield* fs.makeDirectory(path.dirname(path.resolve(filename)), { recursive: true })
  }))

class MigrationsPending extends Data.TaggedError("MigrationsPending")<{}> {}

/** The highest migration id of a record keyed `<id>_<name>`. */
const latestMigrationId = (migrations: Record<string, unknown>): number =>
  Math.max(0, ...Object.keys(migrations).map((key) => Number(/^(\d+)_/.exec(key)?.[1] ?? 0)))

const prepare = (options: SqliteDatabaseOptions) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))
    yield* sql.unsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    yield* sql.unsafe(`PRAGMA synchronous = ${options.synchronous === "OFF" ? "OFF" : "NORMAL"}`)
    // On SQLite the migrator treats "another process is migrating" as done and returns at once (it has no table
    // lock), so a process started alongside another could use tables not yet committed. Run it until every
    // migration is recorded, within the busy timeout.
    const latest = latestMigrationId(options.migrations)
    const applied = Effect.map(
      sql<{ readonly id: number | null }>`SELECT max(migration_id) AS id FROM effect_sql_migrations`,
      (rows) => rows[0]?.id ?? 0
    )
    yield* SqliteMigrator.run({ loader: SqliteMigrator.fromRecord(options.migrations) }).pipe(
      Effect.zipRight(applied),
      Effect.filterOrFail((id) => id >= latest, () => new MigrationsPending()),
      Effect.retry({
        while: (e) => e instanceof MigrationsPending,
        schedule: Schedule.spaced(Duration.millis(25)).pipe(Schedule.upTo(Duration.millis(Math.max(busyTimeoutMs, 1000))))
      }),
      Effect.catchIf((e) => e instanceof MigrationsPending, () => Effect.dieMessage("migrations of another process did not finish"))
    )
  }))

export const layer = (
  options: SqliteDatabaseOptions
): Layer.Layer<
  SqlClient.SqlClient | SqliteClient.SqliteClient | LogSynchronous | LogFlushMode,
  EventLogError | ConfigError.ConfigError
> =>
  prepare(options).pipe(
    Layer.merge(Layer.succeed(LogSynchronous, options.synchronous ?? "FULL")),
    Layer.merge(Layer.succeed(LogFlushMode, options.flush ?? "commit")),
    Layer.provideMerge(SqliteClient.layer({ filename: options.filename })),
    Layer.provide(ensureParentDirectory(options.filename)),
    Layer.provide(NodeContext.layer),
    Layer.mapError((error) =>
      error._tag === "ConfigError" ? error : new EventLogError({
        method: "migrate",
        reason: "storage",
        message: `cannot open SQLite database ${options.filename}: ${error.message}`,
        cause: error
      })
    )
  )

/**
 * Like `layer`, with durability read from TAU_SQLITE_SYNCHRONOUS (FULL, NORMAL or OFF; default FULL) and
 * TAU_SQLITE_FLUSH (commit or background; default `options.flush`, else commit).
 */
export const layerConfig = (
  options: Omit<SqliteDatabaseOptions, "synchronous">
): Layer.Layer<
  SqlClient.SqlClient | SqliteClient.SqliteClient | LogSynchronous | LogFlushMode,
  EventLogError | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all([
        Config.literal("FULL", "NORMAL", "OFF")("TAU_SQLITE_SYNCHRONOUS").pipe(Config.withDefault("FULL" as const)),
        Config.literal(...flushModes)("TAU_SQLITE_FLUSH").pipe(Config.withDefault(options.flush ?? "commit"))
      ]),
      ([synchronous, flush]) => layer({ ...options, synchronous, flush })
    )
  )
