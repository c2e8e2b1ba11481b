/**
 * The typed RPC API of the gateway (definitions only: no services, so clients import it freely): the same
 * operations as the HTTP API over sessions, the event log and projections. Every operation carries `RpcAuth`
 * and states the key scope it needs (read for queries and tails, write for what changes a session, admin for
 * rebuilds).
 */
import { SessionForbidden } from "../ApiErrors.ts"
import { MemoryRpcs } from "./MemoryRpcs.ts"
import { Rpc, RpcGroup } from "@effect/rpc"
import { Schema } from "effect"
import { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import {
  InvalidSessionCommand,
  SessionAlreadyEnded,
  SessionNotFound,
  SessionStorageError,
  SessionWriterConflict
} from "../../actors/session/Errors.ts"
import { Position, SessionId, StreamVersion } from "../../domain/Ids.ts"
import { Score, Turn } from "../../domain/Quantities.ts"
import { SessionMode } from "../../events/catalogue/SessionEvents.ts"
import { ProjectionNotFound, ProjectionStatus } from "../../projections/Projection.ts"
import { SessionFilters, SessionSummary } from "../../projections/SessionsQuery.ts"
import { RequiredScope, RpcAuth } from "./Auth.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"
import { EventFilter, EventPage, SendProgress, SessionReply } from "./Schemas.ts"

/** Everything a command to a session can fail with (the actor's errors). */
export const SessionCommandError = Schema.Union(
  SessionNotFound,
  SessionAlreadyEnded,
  InvalidSessionCommand,
  SessionWriterConflict,
  SessionStorageError
)

// Sessions

export const ListSessions = Rpc.make("ListSessions", {
  // Times as ISO strings on the wire (SessionFilters holds Date values, which JSON cannot carry).
  payload: { ...SessionFilters.fields, since: Schema.optional(Schema.Date), until: Schema.optional(Schema.Date) },
  success: Schema.Array(SessionSummary)
}).annotate(RequiredScope, "read")

export const GetSession = Rpc.make("GetSession", {
  payload: { sessionId: SessionId },
  success: SessionSummary,
  error: SessionNotFound
}).annotate(RequiredScope, "read")

export const SessionEvents = Rpc.make("SessionEvents", {
  payload: { sessionId: SessionId, fromVersion: Schema.optional(StreamVersion) },
  success: Schema.Array(RecordedEventJson),
  error: SessionNotFound
}).annotate(RequiredScope, "read")

export const SendMessage = Rpc.make("SendMessage", {
  payload: {
    message: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(1_000_000)),
    /** Continue this session; a new session starts when absent. */
    sessionId: Schema.optional(SessionId),
    /** The options below only shape a new session. */
    mode: Schema.optional(SessionMode),
    model: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
    maxTurns: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000))),
    budgetUsd: Schema.optional(Schema.NonNegative.pipe(Schema.finite()))
  },
  success: SendProgress,
  error: Schema.Union(SessionCommandError, ModelNotConfigured, SessionForbidden),
  stream: true
}).annotate(RequiredScope, "write")

export const CancelSession = Rpc.make("CancelSession", {
  payload: { sessionId: SessionId },
  success: SessionReply,
  error: Schema.Union(SessionCommandError, SessionForbidden)
}).annotate(RequiredScope, "write")

export const SendFeedback = Rpc.make("SendFeedback", {
  payload: {
    sessionId: SessionId,
    /** -1 (bad) … 1 (good). */
    rating: Score,
    comment: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
    /** The turn whose reply is rated; the whole session when absent. */
    turn: Schema.optional(Turn)
  },
  success: SessionReply,
  error: Schema.Union(SessionCommandError, SessionForbidden)
}).annotate(RequiredScope, "write")

// The event log

export const ReadEvents = Rpc.make("ReadEvents", {
  payload: {
    ...EventFilter.fields,
    /** First position to scan; default 1. */
    fromPosition: Schema.optional(Position),
    /** Most events returned; default 100. */
    limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000)))
  },
  success: EventPage
}).annotate(RequiredScope, "read")

export const TailEvents = Rpc.make("TailEvents", {
  payload: {
    ...EventFilter.fields,
    /** First position: events from here are caught up, then new ones follow live. Default: only new events. */
    fromPosition: Schema.optional(Position)
  },
  success: RecordedEventJson,
  stream: true
}).annotate(RequiredScope, "read")

// Projections

export const ProjectionsStatus = Rpc.make("ProjectionsStatus", {
  success: Schema.Array(ProjectionStatus)
}).annotate(RequiredScope, "read")

export const RebuildProjection = Rpc.make("RebuildProjection", {
  /** Every projection when absent. */
  payload: { name: Schema.optional(Schema.String) },
  success: Schema.Array(ProjectionStatus),
  error: ProjectionNotFound
}).annotate(RequiredScope, "admin")

export class TauRpcs extends RpcGroup.make(
  ListSessions,
  GetSession,
  SessionEvents,
  SendMessage,
  CancelSession,
  SendFeedback,
  ReadEvents,
  TailEvents,
  ProjectionsStatus,
  RebuildProjection
).middleware(RpcAuth) {}

/** Everything the gateway serves over RPC and `TauClient` calls: TauRpcs and the memory operations. */
export class GatewayRpcs extends TauRpcs.merge(MemoryRpcs) {}
