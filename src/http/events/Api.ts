/**
 * The `events` group of the typed API (`/api/events`): pages of the global log, and the live tail as
 * server-sent events (catch-up, then live; resumable with `Last-Event-ID`). Events are in the shape
 * `tau log export` writes (RecordedEventJson: the stored encoding with its schema version). Schemas only.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { RecordedEventJson } from "../../events/Envelope.ts"

const Position = Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, Number.MAX_SAFE_INTEGER))

/** Which events: a stream id prefix (`session-`, `session-<id>`, `cortex`) and event types (repeat or comma-separate). */
const Filters = {
  stream: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))),
  type: Schema.optional(Schema.Array(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2000))))
}

export const EventPageParams = Schema.Struct({
  /** First position (default 1). */
  from: Schema.optional(Position),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))),
  ...Filters
})

export const EventTailParams = Schema.Struct({
  /** First position to send (default: only new events). `Last-Event-ID` wins over it on a reconnect. */
  from: Schema.optional(Position),
  ...Filters
})

export const EventTailHeaders = Schema.Struct({
  /** The last position the client received: the tail resumes after it. */
  "last-event-id": Schema.optional(Position)
})

export class EventPage extends Schema.Class<EventPage>("EventPage")({
  events: Schema.Array(RecordedEventJson),
  /** Head of the log when the page was read. */
  head: Schema.Int,
  /** The position to ask for next (`?from=`); null when the page reached the head. */
  next: Schema.NullOr(Schema.Int)
}) {}

export class EventsApi extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("page", "/")
      .setUrlParams(EventPageParams)
      .addSuccess(EventPage)
      .annotate(OpenApi.Description, "A page of the event log, ascending by position, optionally filtered")
  )
  .add(
    HttpApiEndpoint.get("tail", "/stream")
      .setUrlParams(EventTailParams)
      .setHeaders(EventTailHeaders)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .annotate(
        OpenApi.Description,
        "Server-sent events: one message per event (`id:` its position, `data:` a RecordedEventJson), catch-up " +
          "then live; heartbeat comments while idle; resumes after `Last-Event-ID`"
      )
  )
  .prefix("/api/events")
  .annotate(OpenApi.Title, "Events")
  .annotate(OpenApi.Description, "The event log: pages and the live tail")
{}
