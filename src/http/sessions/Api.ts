/**
 * The `sessions` group of the typed API (`/api/sessions`): list and look up sessions (the sessions projection),
 * read a session's events (its stream), start one or send it a message (a JSON reply, or an SSE stream of its
 * progress), cancel it, rate it. Schemas only.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  InvalidSessionCommand,
  SessionAlreadyEnded,
  SessionNotFound,
  SessionStorageError,
  SessionWriterConflict
} from "../../actors/session/Errors.ts"
import { SessionId } from "../../domain/Ids.ts"
import { Score, Turn } from "../../domain/Quantities.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"
import { SessionMode, SessionSource } from "../../events/catalogue/SessionEvents.ts"
import { SessionRowStatus, SessionSummary } from "../../projections/SessionsQuery.ts"
import { ModelUnavailable, SessionForbidden } from "../ApiErrors.ts"

const IntParam = (min: number, max: number) => Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))

export const SessionListParams = Schema.Struct({
  status: Schema.optional(SessionRowStatus),
  source: Schema.optional(SessionSource),
  mode: Schema.optional(SessionMode),
  /** Who is talking (an API key id, a channel user): the session's `userId`. */
  user: Schema.optional(Schema.String),
  /** Started at or after this time (ISO 8601). */
  since: Schema.optional(Schema.DateFromString),
  /** Started before this time (ISO 8601). */
  until: Schema.optional(Schema.DateFromString),
  limit: Schema.optional(IntParam(1, 1000)),
  offset: Schema.optional(IntParam(0, Number.MAX_SAFE_INTEGER))
})

export class SessionPage extends Schema.Class<SessionPage>("SessionPage")({
  sessions: Schema.Array(SessionSummary),
  limit: Schema.Int,
  offset: Schema.Int,
  /** The offset of the next page; null on the last one. */
  nextOffset: Schema.NullOr(Schema.Int)
}) {}

export class SessionEventsPage extends Schema.Class<SessionEventsPage>("SessionEventsPage")({
  events: Schema.Array(RecordedEventJson),
  /** The stream version to ask for next (`?from=`); null when this page reached the stream's end. */
  nextVersion: Schema.NullOr(Schema.Int)
}) {}

/** What a message (or cancel, or feedback) led to, as `Sessions` reports it. */
export class SessionReplyJson extends Schema.Class<SessionReplyJson>("SessionReply")({
  sessionId: SessionId,
  reply: Schema.optional(Schema.Struct({
    turn: Schema.Int,
    content: Schema.String,
    stopReason: Schema.Literal("final_answer", "max_turns", "budget_exhausted", "blocked")
  })),
  /** True when the inbound safety stage blocked the message (nothing of it was stored). */
  inboundBlocked: Schema.Boolean,
  status: Schema.Literal("new", "idle", "ready", "awaiting_model", "awaiting_tools", "ended"),
  /** The ending event's tag once the session has ended. */
  ending: Schema.optional(Schema.String),
  turns: Schema.Int,
  costUsd: Schema.Number,
  promptTokens: Schema.Int,
  completionTokens: Schema.Int
}) {}

const Message = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200_000))

/** A new session's first message and its options (defaults come from the server's configuration). */
export const StartSession = Schema.Struct({
  message: Message,
  mode: Schema.optional(SessionMode),
  /** The session's user with auth off; with an API key the user is always the key's id. */
  userId: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  maxTurns: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000))),
  budgetUsd: Schema.optional(Schema.Number.pipe(Schema.nonNegative(), Schema.finite())),
  /** One of the configured models; defaults to the primary. */
  model: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})

export const SendMessage = Schema.Struct({ message: Message })

export const FeedbackPayload = Schema.Struct({
  /** -1 (bad) … 1 (good). */
  rating: Score,
  comment: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  /** The turn whose reply is rated; absent for the whole session. */
  turn: Schema.optional(Turn)
})

const SessionPath = Schema.Struct({ id: SessionId })

/** An SSE stream: `event: event` (each appended event), `delta` (model text), `reply` (last), `error`. */
const SseBody = HttpApiSchema.Text({ contentType: "text/event-stream" })

export class SessionsApi extends HttpApiGroup.make("sessions")
  .add(
    HttpApiEndpoint.get("list", "/")
      .setUrlParams(SessionListParams)
      .addSuccess(SessionPage)
      .annotate(OpenApi.Description, "Sessions, newest first, from the sessions projection (eventually consistent)")
  )
  .add(
    HttpApiEndpoint.get("get", "/:id")
      .setPath(SessionPath)
      .addSuccess(SessionSummary)
      .addError(SessionNotFound, { status: 404 })
  )
  .add(
    HttpApiEndpoint.get("events", "/:id/events")
      .setPath(SessionPath)
      .setUrlParams(Schema.Struct({ from: Schema.optional(IntParam(1, Number.MAX_SAFE_INTEGER)), limit: Schema.optional(IntParam(1, 10_000)) }))
      .addSuccess(SessionEventsPage)
      .addError(SessionNotFound, { status: 404 })
      .addError(SessionStorageError, { status: 500 })
  )
  .add(
    HttpApiEndpoint.post("start", "/")
      .setPayload(StartSession)
      .addSuccess(SessionReplyJson)
      .addError(ModelUnavailable)
      .addError(SessionAlreadyEnded, { status: 409 })
      .addError(InvalidSessionCommand, { status: 409 })
      .addError(SessionWriterConflict, { status: 409 })
      .addError(SessionNotFound, { status: 404 })
      .addError(SessionStorageError, { status: 500 })
      .annotate(OpenApi.Description, "Start a session with its first message and wait for the reply")
  )
  .add(
    HttpApiEndpoint.post("startStream", "/stream")
      .setPayload(StartSession)
      .addSuccess(SseBody)
      .addError(ModelUnavailable)
      .annotate(OpenApi.Description, "Start a session; its progress as server-sent events, ending with the reply")
  )
  .add(
    HttpApiEndpoint.post("send", "/:id/messages")
      .setPath(SessionPath)
      .setPayload(SendMessage)
      .addSuccess(SessionReplyJson)
      .addError(ModelUnavailable)
      .addError(SessionForbidden)
      .addError(SessionNotFound, { status: 404 })
      .addError(SessionAlreadyEnded, { status: 409 })
      .addError(InvalidSessionCommand, { status: 409 })
      .addError(SessionWriterConflict, { status: 409 })
      .addError(SessionStorageError, { status: 500 })
      .annotate(OpenApi.Description, "Send a message to a session and wait for the reply")
  )
  .add(
    HttpApiEndpoint.post("sendStream", "/:id/messages/stream")
      .setPath(SessionPath)
      .setPayload(SendMessage)
      .addSuccess(SseBody)
      .addError(ModelUnavailable)
      .addError(SessionForbidden)
      .addError(SessionNotFound, { status: 404 })
      .annotate(OpenApi.Description, "Send a message; the session's progress as server-sent events")
  )
  .add(
    HttpApiEndpoint.post("cancel", "/:id/cancel")
      .setPath(SessionPath)
      .addSuccess(SessionReplyJson)
      .addError(SessionForbidden)
      .addError(SessionNotFound, { status: 404 })
      .addError(SessionAlreadyEnded, { status: 409 })
      .addError(InvalidSessionCommand, { status: 409 })
      .addError(SessionWriterConflict, { status: 409 })
      .addError(SessionStorageError, { status: 500 })
  )
  .add(
    HttpApiEndpoint.post("feedback", "/:id/feedback")
      .setPath(SessionPath)
      .setPayload(FeedbackPayload)
      .addSuccess(SessionReplyJson)
      .addError(SessionForbidden)
      .addError(SessionNotFound, { status: 404 })
      .addError(SessionAlreadyEnded, { status: 409 })
      .addError(InvalidSessionCommand, { status: 409 })
      .addError(SessionWriterConflict, { status: 409 })
      .addError(SessionStorageError, { status: 500 })
      .annotate(OpenApi.Description, "Rate a session (or one turn's reply): records FeedbackReceived")
  )
  .prefix("/api/sessions")
  .annotate(OpenApi.Title, "Sessions")
  .annotate(OpenApi.Description, "Talk to agents and read their sessions")
{}
