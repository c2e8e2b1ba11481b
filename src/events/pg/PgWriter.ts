/**
 * The append statement on a connection of its own, as a named prepared statement.
 *
 * @effect/sql-pg sends every statement unnamed (Parse, plan, Bind, Execute each time) through a pool checkout
 * and a span. For the one statement the group-commit writer sends per batch that came to ~0.25 ms of a ~0.8 ms
 * CPU budget per single-event append; prepared once per connection it is parsed and planned once. Only the
 * writer fibre uses this connection (one batch at a time), so it needs no pool. Reads, migrations and
 * `appendTransaction` stay on the shared client.
 *
 * Behind a connection pooler in transaction mode, named statements need PgBouncer >= 1.21 with
 * `max_prepared_statements` set.
 */
import { SqlError } from "@effect/sql/SqlError"
import type { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted } from "effect"
import type { Scope } from "effect"
import pg from "pg"

export interface PgWriter {
  /** Runs the prepared statement `name` (`text` the first time on each connection); rows as arrays. */
  readonly query: (
    name: string,
    text: string,
    values: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError>
  /** Runs the prepared statement `name` for its row count (`INSERT 0 n`), with no rows to parse. */
  readonly command: (name: string, text: string, values: ReadonlyArray<unknown>) => Effect.Effect<number, SqlError>
}

const clientConfig = (config: PgClient.PgClientConfig): pg.ClientConfig => ({
  connectionString: config.url ? Redacted.value(config.url) : undefined,
  user: config.username,
  host: config.host,
  database: config.database,
  password: config.password ? Redacted.value(config.password) : undefined,
  ssl: config.ssl,
  port: config.port,
  ...(config.stream ? { stream: config.stream } : {}),
  connectionTimeoutMillis: config.connectTimeout ? Duration.toMillis(config.connectTimeout) : undefined,
  application_name: config.applicationName ?? "@effect/sql-pg",
  ...(config.types ? { types: config.types } : {})
})

export const makePgWriter = (config: PgClient.PgClientConfig): Effect.Effect<PgWriter, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Connected on first use; dropped after any error that is not a statement error, and reconnected next time.
    let current: pg.Client | undefined

    const discard = (client: pg.Client) => {
      if (current === client) current = undefined
      client.end().catch(() => undefined)
    }

    const connect = Effect.tryPromise({
      try: async () => {
        const client = new pg.Client(clientConfig(config))
        client.on("error", () => discard(client))
        try {
          await client.connect()
          // Only the append statements run here, and with the default mode they were planned on every call.
          await client.query("SET plan_cache_mode = force_generic_plan")
        } catch (cause) {
          client.end().catch(() => undefined)
          throw cause
        }
        current = client
        return client
      },
      catch: (cause) => new SqlError({ cause, message: "Failed to connect the event log writer" })
    })

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const client = current
        current = undefined
        if (client !== undefined) await client.end().catch(() => undefined)
      })
    )

    const run = <A>(
      client: pg.Client,
      name: string,
      text: string,
      values: ReadonlyArray<unknown>,
      take: (result: pg.QueryResult<Array<unknown>>) => A
    ) =>
      Effect.async<A, SqlError>((resume) => {
        client.query<Array<unknown>>({ name, text, values: values as Array<unknown>, rowMode: "array" }, (error, result) => {
          if (error) {
            // A statement error (it has a SQLSTATE) leaves the connection usable; anything else may not have.
            if (!(error instanceof pg.DatabaseError)) discard(client)
            resume(Effect.fail(new SqlError({ cause: error, message: "Failed to execute statement" })))
          } else {
            resume(Effect.succeed(take(result)))
          }
        })
      })

    const onClient = <A>(f: (client: pg.Client) => Effect.Effect<A, SqlError>) =>
      current !== undefined ? f(current) : Effect.flatMap(connect, f)

    const rowsOf = (result: pg.QueryResult<Array<unknown>>) => result.rows
    const countOf = (result: pg.QueryResult<Array<unknown>>) => result.rowCount ?? 0
    const query: PgWriter["query"] = (name, text, values) => onClient((client) => run(client, name, text, values, rowsOf))
    const command: PgWriter["command"] = (name, text, values) =>
      onClient((client) => run(client, name, text, values, countOf))

    return { query, command }
  })
