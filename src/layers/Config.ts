/**
 * Where Tau keeps its log, read from configuration: TAU_DATABASE_URL is a file path (SQLite, the default
 * `./.tau/tau.db`) or a `postgres://` / `postgresql://` URL; TAU_SQLITE_SYNCHRONOUS tunes SQLite durability.
 */
import { Config, Data, Redacted } from "effect"

export const sqliteSynchronousModes = ["FULL", "NORMAL", "OFF"] as const
export type SqliteSynchronous = (typeof sqliteSynchronousModes)[number]

export type DatabaseConfig = Data.TaggedEnum<{
  Sqlite: { readonly filename: string; readonly synchronous: SqliteSynchronous }
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

export const DatabaseUrlConfig: Config.Config<string> = Config.string("TAU_DATABASE_URL").pipe(
  Config.map((s) => s.trim()),
  Config.validate({ message: "TAU_DATABASE_URL must not be empty", validation: (s) => s.length > 0 }),
  Config.withDefault(defaultDatabaseFile)
)

/** The backend chosen by TAU_DATABASE_URL. */
export const DatabaseConfigFromEnv: Config.Config<DatabaseConfig> = Config.all({
  url: DatabaseUrlConfig,
  synchronous: SqliteSynchronousConfig
}).pipe(
  Config.map(({ synchronous, url }) =>
    isPostgresUrl(url)
      ? DatabaseConfig.Postgres({ url: Redacted.make(url) })
      : DatabaseConfig.Sqlite({ filename: sqliteFilename(url), synchronous })
  )
)

export interface TauConfig {
  readonly database: DatabaseConfig
}

export const TauConfig: Config.Config<TauConfig> = Config.all({ database: DatabaseConfigFromEnv })

/** A one-line description that never shows a password. */
export const describeDatabase = (config: DatabaseConfig): string =>
  DatabaseConfig.$match(config, {
    Sqlite: ({ filename, synchronous }) => `SQLite ${filename} (synchronous=${synchronous})`,
    Postgres: ({ url }) => {
      const parsed = new URL(Redacted.value(url))
      return `PostgreSQL ${parsed.host}${parsed.pathname}`
    }
  })
