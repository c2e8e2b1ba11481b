/**
 * Wire schemas of the RPC group that the domain does not already define: a page of the log (events in the
 * `tau log export` shape, RecordedEventJson, as the HTTP API sends them), a session's reply (the HTTP API's
 * fields) and the progress `SendMessage` streams (text deltas, the session's events as they are appended,
 * then the final reply).
 */
import { Schema } from "effect"
import { SessionReplyJson } from "../sessions/Api.ts"
import { Position, StreamVersion } from "../../domain/Ids.ts"
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

/** What a message (or cancel, or feedback) led to: the HTTP API's reply fields, as a plain struct. */
export const SessionReply = Schema.Struct(SessionReplyJson.fields)
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
