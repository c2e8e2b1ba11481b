/**
 * The backend-independent event log: group commit, append planning, encoding/decoding and
 * catch-up-then-live subscriptions, on top of a LogStorage.
 */
import { Chunk, Clock, Deferred, Duration, Effect, Either, Exit, Option, PubSub, Queue, Stream } from "effect"
import type { Scope, Tracer } from "effect"
import { newEventId } from "../domain/Ids.ts"
import type { StreamId } from "../domain/Ids.ts"
import { batchKeys, planBatch } from "./AppendPlan.ts"
import type { AppendOutcome, AppendRequest } from "./AppendPlan.ts"
import { decodeEvent, encodeEvent } from "./Codec.ts"
import type { AppendResult, EncodedEvent, Envelope, EventMetadata, ExpectedVersion, RecordedEvent } from "./Envelope.ts"
import { EventLogError } from "./Errors.ts"
import type { AppendError, EventDecodeError } from "./Errors.ts"
import type { EventLogService, NewEvent, SubscribeOptions } from "./EventLog.ts"
import type { EventLogOptions } from "./EventLogOptions.ts"
import type { BatchCommit, LogStorage } from "./LogStorage.ts"
import type { TauEvent } from "./TauEvent.ts"

interface Pending {
  readonly request: AppendRequest
  readonly done: Deferred.Deferred<AppendResult, AppendError>
}

/**
 * Encoded events from outside (import, replication) must carry JSON object text: a bad row would otherwise
 * fail a whole group-commit batch on PostgreSQL, or be stored and break every reader on SQLite.
 */
const invalidEncoded = (events: ReadonlyArray<EncodedEvent>): EventLogError | undefined => {
  for (const event of events) {
    let parsed: unknown
    try {
      parsed = JSON.parse(event.data)
    } catch {
      parsed = undefined
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return new EventLogError({
        method: "append",
        reason: "invalid",
        message: `event ${event.eventId} (${event.type}): data is not a JSON object`
      })
    }
  }
  return undefined
}

/** Upper bounds of the adaptive wait for callers of the last batch to come back (see `gather`). */
const ADAPTIVE_WAIT_MS = 2
const ADAPTIVE_MAX_YIELDS = 256

const isNewEvent = (e: TauEvent | NewEvent): e is NewEvent => !("_tag" in e)

/** Current span's ids, so every event can be traced back to the request that caused it. */
const withTraceIds = (metadata: EventMetadata | undefined, span: Option.Option<Tracer.Span>): EventMetadata => {
  const base = metadata ?? {}
  if (Option.isNone(span) || base.traceId !== undefined) return base
  return { ...base, traceId: span.value.traceId, spanId: span.value.spanId }
}

export const decodeRecorded = (row: RecordedEvent): Either.Either<Envelope<TauEvent>, EventDecodeError> =>
  Either.map(decodeEvent(row), (event) => ({
    position: row.position,
    eventId: row.eventId,
    streamId: row.streamId,
    streamVersion: row.streamVersion,
    type: row.type,
    schemaVersion: row.schemaVersion,
    event,
    metadata: row.metadata,
    recordedAt: row.recordedAt
  }))

const decodeAll = (rows: ReadonlyArray<RecordedEvent>): Effect.Effect<ReadonlyArray<Envelope<TauEvent>>, EventDecodeError> => {
  const out: Array<Envelope<TauEvent>> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const decoded = decodeRecorded(rows[i]!)
    if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
    out[i] = decoded.right
  }
  return Effect.succeed(out)
}

export const makeEventLog = (
  storage: LogStorage,
  options: EventLogOptions
): Effect.Effect<EventLogService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Pending>(), Queue.shutdown)
    /** Publishes the new head after each local commit; subscribers wait on it. */
    const commits = yield* Effect.acquireRelease(PubSub.sliding<number>(1), PubSub.shutdown)

    const writeBatch = (batch: ReadonlyArray<Pending>): Effect.Effect<BatchCommit, EventLogError> => {
      const requests = batch.map((p) => p.request)
      if (storage.appendBatch !== undefined) return storage.appendBatch(requests, new Date())
      return storage.appendTransaction((tx) =>
        Effect.gen(function*() {
          const { eventIds, streamIds } = batchKeys(requests)
          const snapshot = yield* tx.load(streamIds, eventIds)
          const plan = planBatch(requests, snapshot, new Date())
          if (plan.rows.length > 0) yield* tx.insert(plan.rows)
          return { outcomes: plan.outcomes, head: plan.head, written: plan.rows.length }
        })
      )
    }

    const complete = (batch: ReadonlyArray<Pending>, outcomes: ReadonlyArray<AppendOutcome>) =>
      Effect.forEach(batch, (pending, i) => {
        const outcome = outcomes[i]!
        return outcome._tag === "Success"
          ? Deferred.succeed(pending.done, outcome.result)
          : Deferred.fail(pending.done, outcome.error)
      }, { discard: true })

    const failAll = (batch: ReadonlyArray<Pending>, error: EventLogError) =>
      Effect.forEach(batch, (pending) => Deferred.fail(pending.done, error), { discard: true })

    // With the default window (0) the writer waits only under contention: when the last batch had several
    // callers, it yields until as many are queued again, for at most ADAPTIVE_WAIT_MS. A synchronous driver
    // (better-sqlite3) blocks the event loop while it commits, so no caller can enqueue during a commit and
    // batches would otherwise stay tiny; a lone appender never waits. A configured window always lingers.
    let lastBatchSize = 1
    const gather = Effect.gen(function*() {
      if (lastBatchSize <= 1) return yield* Effect.yieldNow()
      const target = Math.min(lastBatchSize, options.maxBatch) - 1
      const deadline = (yield* Clock.currentTimeMillis) + ADAPTIVE_WAIT_MS
      for (let i = 0; i < ADAPTIVE_MAX_YIELDS; i++) {
        yield* Effect.yieldNow()
        if ((yield* Queue.size(queue)) >= target || (yield* Clock.currentTimeMillis) >= deadline) return
      }
    })
    const linger = Duration.toMillis(options.groupCommitWindow) > 0 ? Effect.sleep(options.groupCommitWindow) : gather

    const commitBatch = (first: Pending) => Effect.gen(function*() {
      yield* linger
      const rest = yield* Queue.takeUpTo(queue, options.maxBatch - 1)
      const batch = [first, ...rest]
      lastBatchSize = batch.length
      const exit = yield* Effect.exit(writeBatch(batch))
      if (Exit.isSuccess(exit)) {
        const plan = exit.value
        if (plan.written > 0) {
          yield* PubSub.publish(commits, plan.head)
          // A defect here must not kill the writer fibre: every later append would wait forever.
          yield* storage.announce(plan.head).pipe(
            Effect.catchAllCause((cause) => Effect.logWarning("event log: commit notification failed", cause))
          )
        }
        yield* complete(batch, plan.outcomes)
      } else {
        const error = Exit.causeOption(exit).pipe(
          Option.flatMap((cause) =>
            Option.fromNullable(
              cause._tag === "Fail" && cause.error instanceof EventLogError ? cause.error : undefined
            )
          ),
          Option.getOrElse(() =>
            new EventLogError({ method: "append", reason: "storage", message: "append transaction failed", cause: exit.cause })
          )
        )
        yield* Effect.logError("event log: append batch failed", exit.cause)
        yield* failAll(batch, error)
      }
    })

    // A batch once taken is always settled: closing the log waits for the commit in flight (so no caller is
    // told "closed" about an append that was in fact committed), and appends still queued fail with "closed"
    // instead of waiting forever. Registered before the fork, so it runs after the writer has stopped.
    const writerLoop = Effect.flatMap(Queue.take(queue), (first) => Effect.uninterruptible(commitBatch(first)))
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Queue.takeAll(queue), (rest) =>
        failAll(
          Chunk.toReadonlyArray(rest),
          new EventLogError({ method: "append", reason: "closed", message: "the event log was closed" })
        ))
    )
    yield* Effect.forkScoped(Effect.forever(writerLoop))

    const submit = (request: AppendRequest): Effect.Effect<AppendResult, AppendError> =>
      Effect.flatMap(Deferred.make<AppendResult, AppendError>(), (done) =>
        Effect.zipRight(Queue.offer(queue, { request, done }), Deferred.await(done)))

    const appendEncoded = (streamId: StreamId, expected: ExpectedVersion, events: ReadonlyArray<EncodedEvent>) => {
      const invalid = invalidEncoded(events)
      return invalid === undefined ? submit({ streamId, expected, events }) : Effect.fail(invalid)
    }

    const appendEncodedBatch: EventLogService["appendEncodedBatch"] = (requests) =>
      Effect.gen(function*() {
        const pending: Array<Pending> = []
        const results: Array<Deferred.Deferred<AppendResult, AppendError>> = []
        for (const request of requests) {
          const done = yield* Deferred.make<AppendResult, AppendError>()
          const invalid = invalidEncoded(request.events)
          if (invalid === undefined) pending.push({ request, done })
          else yield* Deferred.fail(done, invalid)
          results.push(done)
        }
        yield* Queue.offerAll(queue, pending)
        return yield* Effect.forEach(results, (done) => Effect.either(Deferred.await(done)))
      })

    // No span of its own: an append is a hot path, and the events should carry the ids of the caller's span
    // (the request or actor step that caused them), not of a span inside the log.
    const append: EventLogService["append"] = (streamId, expected, events) =>
      Effect.flatMap(Effect.option(Effect.currentSpan), (span) => {
        const encoded: Array<EncodedEvent> = new Array(events.length)
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!
          const spec: NewEvent = isNewEvent(e) ? e : { event: e }
          encoded[i] = { eventId: spec.eventId ?? newEventId(), ...encodeEvent(spec.event), metadata: withTraceIds(spec.metadata, span) }
        }
        return appendEncoded(streamId, expected, encoded)
      })

    const readStreamRaw = (streamId: StreamId, fromVersion = 1, limit = Number.POSITIVE_INFINITY) =>
      Effect.gen(function*() {
        const out: Array<RecordedEvent> = []
        let next = fromVersion
        while (out.length < limit) {
          const want = Math.min(options.pageSize, limit - out.length)
          const page = yield* storage.readStream(streamId, next, want)
          for (const row of page) out.push(row)
          if (page.length < want) break
          next = page[page.length - 1]!.streamVersion + 1
        }
        return out as ReadonlyArray<RecordedEvent>
      })

    const subscribeRaw = (fromPosition: number, subscribeOptions?: SubscribeOptions): Stream.Stream<RecordedEvent, EventLogError> => {
      const pageSize = subscribeOptions?.pageSize ?? options.pageSize
      return Stream.unwrapScoped(Effect.gen(function*() {
        // Subscribe to wake-ups before the first read, so a commit between a read and the wait is never missed.
        const wakeups = yield* PubSub.subscribe(commits)
        const external = yield* Queue.sliding<void>(1)
        yield* storage.externalCommits.pipe(
          Stream.runForEach(() => Queue.offer(external, undefined)),
          Effect.catchAllCause((cause) => Effect.logWarning("event log: commit notifications lost, polling", cause)),
          Effect.forkScoped
        )
        const waitForCommit = Effect.raceFirst(
          Effect.asVoid(Queue.take(wakeups)),
          Queue.take(external)
        ).pipe(
          Effect.timeout(options.pollInterval),
          Effect.ignore,
          Effect.zipRight(Queue.takeAll(wakeups)),
          Effect.zipRight(Queue.takeAll(external))
        )
        let cursor = Math.max(1, fromPosition)
        const nextPage = Effect.gen(function*() {
          while (true) {
            const page = yield* storage.readAll(cursor, pageSize)
            if (page.length > 0) {
              cursor = page[page.length - 1]!.position + 1
              return page
            }
            yield* waitForCommit
          }
        })
        return Stream.repeatEffectChunk(Effect.map(nextPage, (page) => Chunk.unsafeFromArray(page)))
      }))
    }

    const service: EventLogService = {
      backend: storage.backend,
      append,
      appendEncoded,
      appendEncodedBatch,
      readStream: (streamId, fromVersion) => Effect.flatMap(readStreamRaw(streamId, fromVersion), decodeAll),
      readStreamRaw,
      readAll: (fromPosition, limit) => Effect.flatMap(storage.readAll(Math.max(1, fromPosition), limit), decodeAll),
      readAllRaw: (fromPosition, limit) => storage.readAll(Math.max(1, fromPosition), limit),
      subscribeRaw,
      subscribe: (fromPosition, subscribeOptions) =>
        subscribeRaw(fromPosition, subscribeOptions).pipe(
          Stream.mapChunksEffect((chunk) => Effect.map(decodeAll(Chunk.toReadonlyArray(chunk)), Chunk.unsafeFromArray))
        ),
      head: storage.head,
      streamVersion: storage.streamVersion,
      stats: storage.stats
    }
    return service
  })
