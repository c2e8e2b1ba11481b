/**
 * The embeddable application layers. `TauLive` is everything Tau runs so far (event log + live projections)
 * on the database chosen by TAU_DATABASE_URL; `TauSqlite` / `TauPostgres` take the database explicitly; the
 * smaller layers give just the log or the runner without background work.
 */
import { Layer } from "effect"
import { ProjectionRunner } from "../projections/ProjectionRunner.ts"
import * as Database from "./Database.ts"

/** SqlClient + EventLog on the configured database, all migrations applied. */
export const EventLogLive = Database.DatabaseLive

/** EventLog + a ProjectionRunner that runs nothing in the background (one-shot tools call catchUp/rebuild). */
export const TauOneShot = ProjectionRunner.Default.pipe(Layer.provideMerge(Database.DatabaseLive))

/** EventLog + every projection kept live for the layer's lifetime. */
export const TauLive = ProjectionRunner.Live.pipe(Layer.provideMerge(Database.DatabaseLive))

/** TauLive on an SQLite file given by the embedding app (not read from configuration). */
export const TauSqlite = (options: Parameters<typeof Database.sqlite>[0]) =>
  ProjectionRunner.Live.pipe(Layer.provideMerge(Database.sqlite(options)))

/** TauLive on a PostgreSQL database given by the embedding app. */
export const TauPostgres = (options: Parameters<typeof Database.postgres>[0]) =>
  ProjectionRunner.Live.pipe(Layer.provideMerge(Database.postgres(options)))
