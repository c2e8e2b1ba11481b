/**
 * Read side of the `streams` projection: list and look up streams of the log.
 */
import { Effect, Option, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { StreamId } from "../domain/Ids.ts"
import { SqlInt, SqlTimestamp } from "./SqlValues.ts"
import { streamKinds } from "./StreamsProjection.ts"

export class StreamInfo extends Schema.Class<StreamInfo>("StreamInfo")({
  streamId: StreamId,
  kind: Schema.Literal(...streamKinds),
  version: Schema.Int,
  firstPosition: Schema.Int,
  lastPosition: Schema.Int,
  eventCount: Schema.Int,
  lastEventType: Schema.String,
  lastEventAt: Schema.Date
}) {}

export const StreamFilters = Schema.Struct({
  kind: Schema.optional(Schema.Literal(...streamKinds)),
  /** Stream ids starting with this text (case-sensitive on both backends). */
  prefix: Schema.optional(Schema.String),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000))),
  offset: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
export type StreamFilters = typeof StreamFilters.Type

const Row = Schema.Struct({
  stream_id: StreamId,
  kind: Schema.Literal(...streamKinds),
  version: SqlInt,
  first_position: SqlInt,
  last_position: SqlInt,
  event_count: SqlInt,
  last_event_type: Schema.String,
  last_event_at: SqlTimestamp
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

const toInfo = (r: typeof Row.Type) =>
  new StreamInfo({
    streamId: r.stream_id,
    kind: r.kind,
    version: r.version,
    firstPosition: r.first_position,
    lastPosition: r.last_position,
    eventCount: r.event_count,
    lastEventType: r.last_event_type,
    lastEventAt: r.last_event_at
  })

export class StreamsQuery extends Effect.Service<StreamsQuery>()("tau/projections/StreamsQuery", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const run = (statement: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
      statement.pipe(Effect.flatMap(decodeRows), Effect.map((rows) => rows.map(toInfo)), Effect.orDie)

    const list = Effect.fn("StreamsQuery.list")(function*(filters: StreamFilters = {}) {
      const conditions = [
        ...(filters.kind === undefined ? [] : [sql`kind = ${filters.kind}`]),
        ...(filters.prefix === undefined || filters.prefix === ""
          ? []
          : [sql`substr(stream_id, 1, ${filters.prefix.length}) = ${filters.prefix}`])
      ]
      return yield* run(sql`SELECT * FROM tau_streams WHERE ${sql.and(conditions)}
        ORDER BY stream_id LIMIT ${filters.limit ?? 100} OFFSET ${filters.offset ?? 0}`)
    })

    const get = Effect.fn("StreamsQuery.get")(function*(streamId: StreamId) {
      const rows = yield* run(sql`SELECT * FROM tau_streams WHERE stream_id = ${streamId}`)
      return Option.fromNullable(rows[0])
    })

    return { list, get } as const
  })
}) {}
