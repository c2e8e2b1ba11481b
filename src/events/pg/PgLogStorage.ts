/**
 * The PostgreSQL backend of the event log (LogStorage primitives; EventLogCore does the rest).
 *
 * Ordering guarantee. Every append transaction first locks the single row of `tau_log_head`
 * (`SELECT … FOR UPDATE`), reads the committed head from it, and numbers its rows head+1, head+2, … gap-free.
 * The row lock is released only after the commit is visible to other snapshots, so transactions commit in
 * position order: every snapshot that contains position n+1 also contains n. A reader paging by
 * `position >= cursor` can therefore never pass an event that later commits with a lower position.
 * (Under READ COMMITTED a waiter's `FOR UPDATE` re-reads the latest committed row version, so the head it
 * sees includes the transaction it waited for; later statements take fresh snapshots.)
 * See docs/storage-postgres.md.
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, PubSub, RcRef, Schedule, Stream } from "effect"
import type { Scope } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../../domain/Ids.ts"
import type { AppendOutcome, AppendRequest, EventRow, StorageSnapshot, StoredIdentity } from "../AppendPlan.ts"
import { EventLogError, StreamVersionConflict } from "../Errors.ts"
import type { AppendTransaction, BatchCommit, LogStats, LogStorage } from "../LogStorage.ts"
import { makeVersionCache } from "../VersionCache.ts"
import { appendOneStatement } from "./AppendOneStatement.ts"
import { cachedPlan, cachedStatement } from "./CachedAppend.ts"
import { sqlState, toEventLogError, toOutcome, toRecordedAll, unexpectedResult } from "./PgResults.ts"
import { makePgWriter } from "./PgWriter.ts"

/** NOTIFY channel; the payload is the new head position. */
export const commitChannel = "tau_events"

/** The append functions (migrations 0005, 0006) share `tau_append`'s parameters and rows. */
const appendStatement = (fn: "tau_append_fast" | "tau_append_one") =>
  `SELECT * FROM ${fn}($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[],
    $9::timestamptz[])`
const appendOne = appendStatement("tau_append_one")
const appendMany = appendStatement("tau_append_fast")

export const makePgLogStorage: Effect.Effect<LogStorage, never, SqlClient.SqlClient | PgClient.PgClient | Scope.Scope> =
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pg = yield* PgClient.PgClient
    const writer = yield* makePgWriter(pg.config)

    const columns = sql.literal(
      "position, event_id, stream_id, stream_version, type, schema_version, data::text, metadata::text, recorded_at"
    )

    const transaction = (head: number): AppendTransaction => ({
      head: Effect.succeed(head),
      streamVersions: (streamIds) =>
        sql`SELECT s.id, (SELECT e.stream_version FROM tau_events e WHERE e.stream_id = s.id
              ORDER BY e.stream_version DESC LIMIT 1)
            FROM unnest(${streamIds}::text[]) AS s(id)`.values.pipe(
          Effect.map((rows) => {
            const versions = new Map<string, number>()
            for (const [id, version] of rows) if (version !== null) versions.set(id as string, Number(version))
            return versions as ReadonlyMap<string, number>
          }),
          Effect.mapError(toEventLogError("append"))
        ),
      existing: (eventIds) =>
        sql`SELECT event_id, position, stream_id, stream_version, type, schema_version, data::text
            FROM tau_events WHERE event_id = ANY(${eventIds}::text[])`.values.pipe(
          Effect.map((rows) => {
            const found = new Map<string, StoredIdentity>()
            for (const r of rows) {
              found.set(r[0] as string, {
                eventId: r[0] as EventId,
                position: Number(r[1]) as Position,
                streamId: r[2] as StreamId,
                streamVersion: Number(r[3]) as StreamVersion,
                type: r[4] as string,
                schemaVersion: Number(r[5]),
                data: r[6] as string
              })
            }
            return found as ReadonlyMap<string, StoredIdentity>
          }),
          Effect.mapError(toEventLogError("append"))
        ),
      // The head came with the lock; versions and stored ids share one statement.
      load: (streamIds, eventIds) =>
        sql`SELECT 1, s.id, (SELECT e.stream_version FROM tau_events e WHERE e.stream_id = s.id
                ORDER BY e.stream_version DESC LIMIT 1)::bigint, NULL::text, NULL::int, NULL::text, NULL::int, NULL::text
              FROM unnest(${streamIds}::text[]) AS s(id)
            UNION ALL
            SELECT 2, event_id, position, stream_id, stream_version, type, schema_version, data::text
              FROM tau_events WHERE event_id = ANY(${eventIds}::text[])`.values.pipe(
          Effect.map((rows): StorageSnapshot => {
            const versions = new Map<string, number>()
            const existing = new Map<string, StoredIdentity>()
            for (const r of rows) {
              if (Number(r[0]) === 1) {
                if (r[2] !== null) versions.set(r[1] as string, Number(r[2]))
              } else {
                existing.set(r[1] as string, {
                  eventId: r[1] as EventId,
                  position: Number(r[2]) as Position,
                  streamId: r[3] as StreamId,
                  streamVersion: Number(r[4]) as StreamVersion,
                  type: r[5] as string,
                  schemaVersion: Number(r[6]),
                  data: r[7] as string
                })
              }
            }
            return { head, versions, existing }
          }),
          Effect.mapError(toEventLogError("append"))
        ),
      insert: (rows) => insertRows(rows)
    })

    // One statement per batch whatever its size, with the same text for every size (nine array parameters, not
    // nine placeholders per row): insert from unnested arrays, move the head, and queue the wake-up. NOTIFY inside the transaction is delivered
    // only on commit, so no listener is woken for a rolled-back batch.
    const insertRows = (rows: ReadonlyArray<EventRow>) => {
      const n = rows.length
      const positions = new Array<number>(n)
      const eventIds = new Array<string>(n)
      const streamIds = new Array<string>(n)
      const versions = new Array<number>(n)
      const types = new Array<string>(n)
      const schemaVersions = new Array<number>(n)
      const data = new Array<string>(n)
      const metadata = new Array<string>(n)
      const recordedAt = new Array<string>(n)
      let head = 0
      for (let i = 0; i < n; i++) {
        const row = rows[i]!
        positions[i] = row.position
        eventIds[i] = row.eventId
        streamIds[i] = row.streamId
        versions[i] = row.streamVersion
        types[i] = row.type
        schemaVersions[i] = row.schemaVersion
        data[i] = row.data
        metadata[i] = row.metadata
        recordedAt[i] = row.recordedAt.toISOString()
        if (row.position > head) head = row.position
      }
      return sql`WITH inserted AS (
          INSERT INTO tau_events
            (position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
          SELECT * FROM unnest(${positions}::bigint[], ${eventIds}::text[], ${streamIds}::text[], ${versions}::int[],
            ${types}::text[], ${schemaVersions}::int[], ${data}::json[], ${metadata}::json[], ${recordedAt}::timestamptz[])
        ), moved AS (
          UPDATE tau_log_head SET position = ${head}::bigint WHERE id = 1
        )
        SELECT pg_notify(${commitChannel}, ${String(head)})`.pipe(
        Effect.asVoid,
        Effect.mapError(toEventLogError("append"))
      )
    }

    const appendTransaction: LogStorage["appendTransaction"] = (body) =>
      sql.withTransaction(
        Effect.flatMap(
          // The global append lock: first statement of the transaction, held until commit.
          sql`SELECT position FROM tau_log_head WHERE id = 1 FOR UPDATE`.values.pipe(
            Effect.mapError(toEventLogError("append"))
          ),
          (rows) =>
            rows[0] === undefined
              ? Effect.fail(
                new EventLogError({ method: "append", reason: "invalid", message: "tau_log_head has no row: schema damaged" })
              )
              : body(transaction(Number(rows[0][0])))
        )
      ).pipe(
        Effect.catchTag("SqlError", (error) => Effect.fail(toEventLogError("append")(error)))
      )

    // The whole batch in one autocommit statement that takes the head lock and applies planBatch's rules in the
    // database, so a commit costs one round trip instead of five: a single request with new, distinct ids as one
    // plain statement (AppendOneStatement.ts; a second round trip when it declines), otherwise `tau_append_one`
    // (0006) for one request or `tau_append_fast` (0005) for more, each handing uncommon batches to `tau_append`
    // (0004). Sent prepared on the writer's own connection (PgWriter.ts).
    const plannedInDatabase = (requests: ReadonlyArray<AppendRequest>, recordedAt: Date) => {
      const batchAt = recordedAt.toISOString()
      const streams: Array<string> = []
      const expected: Array<string> = []
      const counts: Array<number> = []
      const eventIds: Array<string> = []
      const types: Array<string> = []
      const schemaVersions: Array<number> = []
      const data: Array<string> = []
      const metadata: Array<string> = []
      const recorded: Array<string> = []
      for (const request of requests) {
        streams.push(request.streamId)
        expected.push(String(request.expected))
        counts.push(request.events.length)
        for (const event of request.events) {
          eventIds.push(event.eventId)
          types.push(event.type)
          schemaVersions.push(event.schemaVersion)
          data.push(event.data)
          metadata.push(JSON.stringify(event.metadata))
          recorded.push(event.recordedAt?.toISOString() ?? batchAt)
        }
      }
      const one = requests.length === 1
      const viaFunction = writer.query(one ? "tau_append_one" : "tau_append_fast", one ? appendOne : appendMany, [
        streams, expected, counts, eventIds, types, schemaVersions, data, metadata, recorded
      ]).pipe(
        Effect.mapError(toEventLogError("append")),
        Effect.flatMap((rows) => {
          const last = rows[requests.length]
          if (rows.length !== requests.length + 1 || last?.[0] !== "head") return unexpectedResult
          let written = 0
          const outcomes: Array<AppendOutcome> = []
          for (let i = 0; i < requests.length; i++) {
            const outcome = toOutcome(requests[i]!, rows[i]!)
            if (outcome === undefined) return unexpectedResult
            if (rows[i]![0] === "ok") written += requests[i]!.events.length
            outcomes.push(outcome)
          }
          return Effect.succeed<BatchCommit>({ outcomes, head: Number(last[5]), written })
        })
      )
      if (!one || eventIds.length === 0 || new Set(eventIds).size !== eventIds.length) return viaFunction
      const request = requests[0]!
      return writer.query("tau_append_one_statement", appendOneStatement, [
        request.streamId, expected[0], eventIds, types, schemaVersions, data, metadata, recorded
      ]).pipe(
        Effect.mapError(toEventLogError("append")),
        Effect.flatMap((rows): Effect.Effect<BatchCommit, EventLogError> => {
          const row = rows[0]
          if (row === undefined) return unexpectedResult
          if (row[0] !== false) return viaFunction
          const head = Number(row[3])
          const current = Number(row[2])
          if (row[1] !== true) {
            const error = new StreamVersionConflict({ streamId: request.streamId, expected: request.expected, actual: current })
            return Effect.succeed({ outcomes: [{ _tag: "Failure", error }], head, written: 0 })
          }
          const n = eventIds.length
          const positions = Array.from({ length: n }, (_, i) => (head + i + 1) as Position)
          const result = { streamId: request.streamId, positions, streamVersion: (current + n) as StreamVersion, written: true }
          return Effect.succeed({ outcomes: [{ _tag: "Success", result }], head: head + n, written: n })
        })
      )
    }

    // Versions of the streams this writer appended to, exact while the head is the one its last commit left: a
    // batch of known streams is planned here and sent as one insert (CachedAppend.ts); any other batch, or one
    // the database refuses, is planned in the database, and its outcome refills the cache.
    const cache = makeVersionCache()
    const learned = (requests: ReadonlyArray<AppendRequest>, recordedAt: Date) =>
      Effect.tap(plannedInDatabase(requests, recordedAt), (commit) => {
        cache.learn(requests, commit.outcomes, commit.head, commit.written)
      })

    const appendBatch = (requests: ReadonlyArray<AppendRequest>, recordedAt: Date): Effect.Effect<BatchCommit, EventLogError> => {
      const plan = cachedPlan(cache, requests, recordedAt)
      if (plan === undefined) return learned(requests, recordedAt)
      const statement = cachedStatement(plan, cache.head())
      return Effect.matchEffect(writer.command(statement.name, statement.text, statement.values), {
        onSuccess: (count): Effect.Effect<BatchCommit, EventLogError> => {
          if (count !== plan.rows.length) {
            // Another writer moved the head: nothing was written.
            cache.forget()
            return learned(requests, recordedAt)
          }
          cache.remember(plan)
          return Effect.succeed({ outcomes: plan.outcomes, head: plan.head, written: count })
        },
        onFailure: (error) => {
          cache.forget()
          // A stored event id (perhaps a retry) or a stream assumed new that exists: decided in the database.
          return sqlState(error) === "23505" ? learned(requests, recordedAt) : Effect.fail(toEventLogError("append")(error))
        }
      })
    }

    const readAll = (fromPosition: number, limit: number) =>
      sql`SELECT ${columns} FROM tau_events WHERE position >= ${fromPosition} ORDER BY position LIMIT ${limit}`.values.pipe(Effect.map(toRecordedAll), Effect.mapError(toEventLogError("read")))

    const readStream = (streamId: StreamId, fromVersion: number, limit: number) =>
      sql`SELECT ${columns} FROM tau_events WHERE stream_id = ${streamId} AND stream_version >= ${fromVersion}
          ORDER BY stream_version LIMIT ${limit}`.values.pipe(Effect.map(toRecordedAll), Effect.mapError(toEventLogError("read")))

    const head = sql`SELECT position FROM tau_log_head WHERE id = 1`.values.pipe(
      Effect.map((rows) => Number(rows[0]?.[0] ?? 0) as Position),
      Effect.mapError(toEventLogError("read"))
    )

    const streamVersion = (streamId: StreamId) =>
      sql`SELECT stream_version FROM tau_events WHERE stream_id = ${streamId}
          ORDER BY stream_version DESC LIMIT 1`.values.pipe(
        Effect.map((rows) => Number(rows[0]?.[0] ?? 0) as StreamVersion),
        Effect.mapError(toEventLogError("read"))
      )

    const stats: Effect.Effect<LogStats, EventLogError> = Effect.gen(function*() {
      // Every stream has exactly one version-1 row, so counting those counts streams in the same scan.
      const [totals] = yield* sql`SELECT count(*), count(*) FILTER (WHERE stream_version = 1),
          (SELECT position FROM tau_log_head WHERE id = 1), pg_total_relation_size('tau_events')
        FROM tau_events`.values
      const byType = yield* sql`SELECT type, count(*) FROM tau_events GROUP BY type ORDER BY count(*) DESC, type`.values
      return {
        events: Number(totals?.[0] ?? 0),
        streams: Number(totals?.[1] ?? 0),
        head: Number(totals?.[2] ?? 0),
        bytes: Number(totals?.[3] ?? 0),
        byType: byType.map(([type, count]) => ({ type: type as string, count: Number(count) }))
      }
    }).pipe(Effect.mapError(toEventLogError("stats")))

    // One LISTEN shared by every subscriber of this log: @effect/sql-pg's `listen` UNLISTENs the channel when
    // any one of its streams ends, which would silently stop wake-ups for the others. Lives while anyone listens.
    const hub = yield* RcRef.make({
      acquire: Effect.gen(function*() {
        const wakeups = yield* Effect.acquireRelease(PubSub.sliding<void>(1), PubSub.shutdown)
        yield* pg.listen(commitChannel).pipe(
          Stream.runForEach(() => PubSub.publish(wakeups, undefined)),
          Effect.tapErrorCause((cause) => Effect.logWarning("event log: LISTEN failed, retrying", cause)),
          Effect.retry(Schedule.spaced("1 second")),
          Effect.forkScoped
        )
        return wakeups
      })
    })

    const externalCommits: Stream.Stream<void, EventLogError> = Stream.unwrapScoped(
      Effect.map(RcRef.get(hub), (wakeups) => Stream.fromPubSub(wakeups))
    )

    const storage: LogStorage = {
      backend: "postgres",
      appendTransaction,
      appendBatch,
      readAll,
      readStream,
      head,
      streamVersion,
      stats,
      externalCommits
    }
    return storage
  })
