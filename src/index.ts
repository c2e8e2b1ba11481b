/**
 * Tau's public surface for embedding: provide one of the layers (TauLive, TauSqlite, TauPostgres, or the
 * smaller EventLogLive / TauOneShot) and use the services (EventLog, ProjectionRunner, StreamsQuery) with the
 * catalogue's schemas. See docs/embedding.md.
 */

// Layers
export { EventLogLive, TauLive, TauOneShot, TauPostgres, TauSqlite } from "./layers/Tau.ts"
export * as Database from "./layers/Database.ts"
export { DatabaseConfig, DatabaseConfigFromEnv, defaultDatabaseFile, TauConfig } from "./layers/Config.ts"
export type { SqliteSynchronous } from "./layers/Config.ts"
export * as SqliteEventLog from "./events/sqlite/SqliteEventLog.ts"
export * as SqliteDatabase from "./events/sqlite/SqliteDatabase.ts"
export * as PgEventLog from "./events/pg/PgEventLog.ts"
export * as PgDatabase from "./events/pg/PgDatabase.ts"

// The event log
export { EventLog } from "./events/EventLog.ts"
export type { EncodedAppend, EventLogService, NewEvent, SubscribeOptions } from "./events/EventLog.ts"
export { EventMetadata, ExpectedVersion, RecordedEventJson } from "./events/Envelope.ts"
export type { AppendResult, EncodedEvent, Envelope, RecordedEvent } from "./events/Envelope.ts"
export { EventDecodeError, EventIdConflict, EventLogError, StreamVersionConflict } from "./events/Errors.ts"
export type { AppendError } from "./events/Errors.ts"
export type { LogStats } from "./events/LogStorage.ts"
export { EventLogOptionsConfig } from "./events/EventLogOptions.ts"
export type { EventLogOptions } from "./events/EventLogOptions.ts"
export { decodeEvent, encodeEvent } from "./events/Codec.ts"

// The catalogue: every event class, the per-stream unions and TauEvent; stream ids
export * from "./events/TauEvent.ts"
export * from "./events/Streams.ts"

// Ids
export * from "./domain/Ids.ts"

// Projections
export { ProjectionRunner } from "./projections/ProjectionRunner.ts"
export { DeadLetter, ProjectionError, ProjectionNotFound, ProjectionState, ProjectionStatus } from "./projections/Projection.ts"
export type { Projection } from "./projections/Projection.ts"
export { builtinProjections, RegisteredProjections } from "./projections/projections.ts"
export { StreamFilters, StreamInfo, StreamsQuery } from "./projections/StreamsQuery.ts"
