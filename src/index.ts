/**
 * Tau's public surface for embedding: provide one of the layers (TauLive, TauAgentLive, TauSqlite, TauPostgres,
 * or the smaller EventLogLive / TauOneShot / AgentLive) and use the services (EventLog, ProjectionRunner,
 * StreamsQuery, SessionsQuery, Sessions, LanguageModel, ToolRegistry, Safety) with the catalogue's schemas; or talk
 * to a running gateway with TauClient (RPC). See docs/embedding.md.
 */

// Layers
export {
  EventLogLive,
  QueriesLive,
  TauAgentLive,
  TauAgentOneShot,
  TauAgentPostgres,
  TauAgentSqlite,
  TauLive,
  TauOneShot,
  TauPostgres,
  TauSqlite
} from "./layers/Tau.ts"
export { AgentLive, AgentServicesLive } from "./layers/Agent.ts"
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
export { SessionFilters, SessionRowStatus, SessionSummary, SessionsQuery } from "./projections/SessionsQuery.ts"

// Sessions (the agent loop as an actor)
export { Sessions } from "./actors/session/Sessions.ts"
export { IdleSweepLive } from "./actors/session/IdleSweep.ts"
export type { Feedback } from "./actors/session/Sessions.ts"
export type { SendOptions } from "./actors/session/Start.ts"
export type { SessionProgress, SessionReply } from "./actors/session/Progress.ts"
export type { SessionState, SessionStatus } from "./actors/session/State.ts"
export { PromptSource } from "./actors/session/PromptSource.ts"
export type { PromptContext } from "./actors/session/PromptSource.ts"
export { SessionConfig } from "./actors/session/SessionConfig.ts"
export type { SessionSettings } from "./actors/session/SessionConfig.ts"
export {
  InvalidSessionCommand,
  SessionAlreadyEnded,
  SessionNotFound,
  SessionStorageError,
  SessionWriterConflict
} from "./actors/session/Errors.ts"
export type { SessionError } from "./actors/session/Errors.ts"

// The model provider
export { LanguageModel } from "./agent/llm/LanguageModel.ts"
export { LlmConfig } from "./agent/llm/Config.ts"
export type { LlmSettings } from "./agent/llm/Config.ts"
export { LlmError, ModelNotConfigured, RateLimited } from "./agent/llm/Errors.ts"
export type { LanguageModelError } from "./agent/llm/Errors.ts"

// Tools
export * as Tool from "./agent/tools/Tool.ts"
export { ToolRegistry } from "./agent/tools/ToolRegistry.ts"
export type { ToolSpec } from "./agent/tools/ToolRegistry.ts"
export { failureReasonOf, ToolError, ToolErrorReason, ToolRegistrationError } from "./agent/tools/Errors.ts"
export { CurrentToolPolicy, PresetName, Presets, ToolPolicy } from "./agent/tools/Policy.ts"

// Safety
export { Safety } from "./agent/safety/Safety.ts"
export { SafetyDecision } from "./agent/safety/Decision.ts"
export { Mode as SafetyMode, SafetyPolicyConfig, Stage as SafetyInspectionStage } from "./agent/safety/Policy.ts"
export type { SafetyPolicy } from "./agent/safety/Policy.ts"

// The gateway's RPC API: definitions, a client for both transports, and the routes for an embedding app's router
export { GatewayRpcs, TauRpcs } from "./http/rpc/Rpcs.ts"
export { MemoryRpcs } from "./http/rpc/MemoryRpcs.ts"
export { TauClient } from "./http/rpc/TauClient.ts"
export type { TauClientOptions } from "./http/rpc/TauClient.ts"
export { Forbidden, RequiredScope, RpcAuth, Unauthorized } from "./http/rpc/Auth.ts"
export { SendProgress, SessionReply as SessionReplySchema } from "./http/rpc/Schemas.ts"
export { RpcAuthenticator, RpcAuthLive, RpcAuthOff } from "./http/rpc/AuthLive.ts"
export { rpcRoutes, RpcRoutes } from "./http/rpc/Routes.ts"
