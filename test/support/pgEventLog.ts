/**
 * PostgreSQL event logs for tests: a migrated database and any number of independent EventLog instances on it,
 * each with its own connection pool (as separate processes would have).
 */
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"
import { EventId, newEventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import type { EncodedEvent } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import type { EventLogService } from "../../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import type { EventLogOptions } from "../../src/events/EventLogOptions.ts"
import * as PgDatabase from "../../src/events/pg/PgDatabase.ts"
import * as PgEventLog from "../../src/events/pg/PgEventLog.ts"
import { pgEventLogMigrations } from "../../src/events/pg/migrations.ts"

export const pgDatabaseLayer = (url: string, maxConnections = 4) =>
  PgDatabase.layer({ url: Redacted.make(url), migrations: pgEventLogMigrations, maxConnections })

export const pgEventLogLayer = (url: string, options: Partial<EventLogOptions> = {}) =>
  PgEventLog.layerWith({ ...defaultEventLogOptions, ...options }).pipe(Layer.provideMerge(pgDatabaseLayer(url)))

/** An independent log instance (own pool, own group-commit writer, own LISTEN connection) in the current scope. */
export const openPgLog = (
  url: string,
  options: Partial<EventLogOptions> = {}
): Effect.Effect<{ readonly log: EventLogService; readonly sql: SqlClient.SqlClient }, never, Scope.Scope> =>
  Layer.build(pgEventLogLayer(url, options)).pipe(
    Effect.map((context) => ({
      log: Context.get(context, EventLog),
      sql: Context.get(context, SqlClient.SqlClient)
    })),
    Effect.orDie
  )

/** A small encoded event; `n` ends up in the data so tests can tell events apart. */
export const encoded = (n: number, eventId: EventId = newEventId()): EncodedEvent => ({
  eventId,
  type: "TestEvent",
  schemaVersion: 1,
  data: JSON.stringify({ n }),
  metadata: { actor: "test" }
})

export const stream = (name: string): StreamId => StreamId.make(name)
export const eventId = (name: string): EventId => EventId.make(name)
export const v = (n: number): StreamVersion => StreamVersion.make(n)
