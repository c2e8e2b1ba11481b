/**
 * Wire schemas of the RPC group that the domain does not already define: a page of the log (events in the
 * `tau log export` shape, RecordedEventJson, as the HTTP API sends them), a session's reply and the progress `SendMessage` streams (text deltas, the session's
 * events as they are appended, then the final reply).
 */
import { Schema } from "effect"
import { Position, SessionId, StreamVersion } from "../../domain/Ids.ts"
import { RecordedEventJson } from "../../events/Envelope.ts"
import { SessionEvent } from "../../events/TauEvent.ts"

/** Which events a read or a tail returns: stream ids starting with `streamPrefix`, event types in `types`. */
export const EventFilter = Schema.Struct({
  streamPrefix: Schema.optional(Schema.String.pipe(Schema.maxLength(256))),
  types: Schema.optional(Schema.Array(Schema.String).pipe(Schema.maxItems(100)))
})
export type EventFilter = typeof EventFilter.Type

export const EventPage = Schema.Struct({
  events: Schema.Array(RecordedEventJson),
  /** Where the next page starts (the first position not scanned yet). */
  nextPosition: Position,
  /** Head of the log when the page was read: the page is the last one when nextPosition > head. */
  head: Position
})
export type EventPage = typeof EventPage.Type

export const SessionStatus = Schema.Literal("new", "idle", "ready", "awaiting_model", "awaiting_tools", "ended")

export const SessionReply = Schema.Struct({
  sessionId: SessionId,
  /** The reply to this message; absent when the message was blocked or the session ended without one. */
  reply: Schema.optional(Schema.Struct({
    turn: Schema.Int,
    content: Schema.String,
    stopReason: Schema.Literal("final_answer", "max_turns", "budget_exhausted", "blocked")
  })),
  /** True when the inbound safety stage blocked the message (nothing of it was stored). */
  inboundBlocked: Schema.Boolean,
  status: SessionStatus,
  /** The ending event's tag once the session has ended. */
  ending: Schema.optional(Schema.String),
  turns: Schema.Int,
  costUsd: Schema.Number,
  promptTokens: Schema.Int,
  completionTokens: Schema.Int
})
export type SessionReply = typeof SessionReply.Type

export const TextDelta = Schema.TaggedStruct("TextDelta", { turn: Schema.Int, text: Schema.String })

export const SessionEventAppended = Schema.TaggedStruct("Event", {
  event: SessionEvent,
  position: Position,
  streamVersion: StreamVersion
})

export const Finished = Schema.TaggedStruct("Finished", { reply: SessionReply })

/** What `SendMessage` streams: deltas while the model writes, every event the session appends, then the reply. */
export const SendProgress = Schema.Union(TextDelta, SessionEventAppended, Finished)
export type SendProgress = typeof SendProgress.Type
