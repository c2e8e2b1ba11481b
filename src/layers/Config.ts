/**
 * Where Tau keeps its log, read from configuration: TAU_DATABASE_URL is a file path (SQLite, the default
 * `./.tau/tau.db`) or a `postgres://` / `postgresql://` URL; TAU_SQLITE_SYNCHRONOUS tunes SQLite durability and
 * TAU_SQLITE_FLUSH where its fsync runs.
 */
import { Config, Data, Option, Redacted } from "effect"
import type { Flush } from "../events/sqlite/SqliteDatabase.ts"
import { flushModes } from "../events/sqlite/SqliteDatabase.ts"

export const sqliteSynchronousModes = ["FULL", "NORMAL", "OFF"] as const
export type SqliteSynchronous = (typeof sqliteSynchronousModes)[number]

export type DatabaseConfig = Data.TaggedEnum<{
  Sqlite: {
    readonly filename: string
    readonly synchronous: SqliteSynchronous
    /** Absent: the process's default (LogFlushMode: `commit`, `background` under `tau serve`). */
    readonly flush: Option.Option<Flush>
  }
  Postgres: { readonly url: Redacted.Redacted<string> }
}>
export const DatabaseConfig = Data.taggedEnum<DatabaseConfig>()

export const defaultDatabaseFile = "./.tau/tau.db"

const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url)

/** Strips an optional `sqlite:` / `file:` scheme so both `./x.db` and `sqlite:./x.db` name a file. */
const sqliteFilename = (url: string) => url.replace(/^(sqlite|file):(\/\/)?/i, "")

export const SqliteSynchronousConfig: Config.Config<SqliteSynchronous> = Config.string("TAU_SQLITE_SYNCHRONOUS").pipe(
  Config.map((s) => s.trim().toUpperCase()),
  Config.validate({
    message: `TAU_SQLITE_SYNCHRONOUS must be one of ${sqliteSynchronousModes.join(", ")}`,
    validation: (s): s is SqliteSynchronous => (sqliteSynchronousModes as ReadonlyArray<string>).includes(s)
  }),
  Config.withDefault<SqliteSynchronous>("FULL")
)

export const SqliteFlushConfig: Config.Config<Option.Option<Flush>> = Config.string("TAU_SQLITE_FLUSH").pipe(
  Config.map((s) => s.trim().toLowerCase()),
  Config.validate({
    message: `TAU_SQLITE_FLUSH must be one of ${flushModes.join(", ")}`,
    validation: (s): s is Flush => (flushModes as ReadonlyArray<string>).includes(s)
  }),
  Config.option
)

export const DatabaseUrlConfig: Config.Config<string> = Config.string("TAU_DATABASE_URL").pipe(
  Config.map((s) => s.trim()),
  Config.validate({ message: "TAU_DATABASE_URL must not be empty", validation: (s) => s.length > 0 }),
  Config.withDefault(defaultDatabaseFile)
)

/** The backend chosen by TAU_DATABASE_URL. */
export const DatabaseConfigFromEnv: Config.Config<DatabaseConfig> = Config.all({
  url: DatabaseUrlConfig,
  synchronous: SqliteSynchronousConfig,
  flush: SqliteFlushConfig
}).pipe(
  Config.map(({ flush, synchronous, url }) =>
    isPostgresUrl(url)
      ? DatabaseConfig.Postgres({ url: Redacted.make(url) })
      : DatabaseConfig.Sqlite({ filename: sqliteFilename(url), synchronous, flush })
  )
)

export interface TauConfig {
  readonly database: DatabaseConfig
}

export const TauConfig: Config.Config<TauConfig> = Config.all({ database: DatabaseConfigFromEnv })

/** A one-line description that never shows a password. */
export const describeDatabase = (config: DatabaseConfig, defaultFlush: Flush = "commit"): string =>
  DatabaseConfig.$match(config, {
    Sqlite: ({ filename, flush, synchronous }) =>
      `SQLite ${filename} (synchronous=${synchronous}, flush=${Option.getOrElse(flush, () => defaultFlush)})`,
    Postgres: ({ url }) => {
      const parsed = new URL(Redacted.value(url))
      return `PostgreSQL ${parsed.host}${parsed.pathname}`
    }
  })
