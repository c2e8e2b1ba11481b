/**
 * The backend-independent event log: group commit, append planning, encoding/decoding and
 * catch-up-then-live subscriptions (Subscription.ts), on top of a LogStorage.
 */
import { Cause, Chunk, Deferred, Duration, Effect, Either, Exit, FiberId, PubSub, Stream } from "effect"
import type { Scope, Tracer } from "effect"
import { newEventId } from "../domain/Ids.ts"
import type { StreamId } from "../domain/Ids.ts"
import { batchKeys, planBatch } from "./AppendPlan.ts"
import type { AppendOutcome, AppendRequest } from "./AppendPlan.ts"
import { decodeEvent, encodeEvent } from "./Codec.ts"
import { noMetadata } from "./Envelope.ts"
import type { AppendResult, EncodedEvent, Envelope, EventMetadata, ExpectedVersion, RecordedEvent } from "./Envelope.ts"
import { EventLogError } from "./Errors.ts"
import type { AppendError, EventDecodeError } from "./Errors.ts"
import type { EventLogService, NewEvent } from "./EventLog.ts"
import type { EventLogOptions } from "./EventLogOptions.ts"
import type { BatchCommit, LogStorage } from "./LogStorage.ts"
import { makeSubscribeRaw, NOTICE_CAPACITY, recordedFromRows, sourceOf } from "./Subscription.ts"
import type { CommitNotice } from "./Subscription.ts"
import type { TauEvent } from "./TauEvent.ts"

interface Pending {
  readonly request: AppendRequest
  /** Settles the caller; cleared when the caller is interrupted while waiting. */
  settle: ((exit: Exit.Exit<AppendResult, AppendError>) => void) | undefined
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
const withTraceIds = (metadata: EventMetadata | undefined, span: Tracer.Span | undefined): EventMetadata => {
  const base = metadata ?? noMetadata
  if (span === undefined || base.traceId !== undefined) return base
  return { ...base, traceId: span.traceId, spanId: span.spanId }
}

export const decodeRecorded = (row: RecordedEvent): Either.Either<Envelope<TauEvent>, EventDecodeError> => {
  const source = sourceOf(row)
  return Either.map(source !== undefined ? Either.right(source) : decodeEvent(row), (event) => ({
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
}

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
    // Appends waiting for the writer, oldest first. A plain array and callbacks rather than Queue + Deferred:
    // the hand-off is paid by every append under contention.
    let queue: Array<Pending> = []
    let wakeWriter: (() => void) | undefined
    const enqueue = (pending: Pending) => {
      queue.push(pending)
      const wake = wakeWriter
      if (wake !== undefined) {
        wakeWriter = undefined
        wake()
      }
    }
    const takeUpTo = (n: number): Array<Pending> => {
      const taken = queue.length <= n ? queue : queue.slice(0, n)
      queue = queue.length <= n ? [] : queue.slice(n)
      return taken
    }
    const takeFirst: Effect.Effect<Pending> = Effect.suspend(() =>
      queue.length > 0
        ? Effect.succeed(queue.shift()!)
        : Effect.zipRight(
          Effect.async<void>((resume) => {
            const wake = () => resume(Effect.void)
            wakeWriter = wake
            return Effect.sync(() => {
              if (wakeWriter === wake) wakeWriter = undefined
            })
          }),
          takeFirst
        )
    )
    /** A notice after each local commit; subscribers wait on it (Subscription.ts). */
    const commits = yield* Effect.acquireRelease(PubSub.sliding<CommitNotice>(NOTICE_CAPACITY), PubSub.shutdown)
    const listeners = { count: 0 }
    const shareRows = storage.tailFromCommits === true
    const blocking = storage.blockingAppend === true

    const writeBatch = (requests: ReadonlyArray<AppendRequest>): Effect.Effect<BatchCommit, EventLogError> => {
      if (storage.appendBatch !== undefined) return storage.appendBatch(requests, new Date())
      return storage.appendTransaction((tx) =>
        Effect.gen(function*() {
          const { eventIds, streamIds } = batchKeys(requests)
          const snapshot = yield* tx.load(streamIds, eventIds)
          const plan = planBatch(requests, snapshot, new Date())
          if (plan.rows.length > 0) yield* tx.insert(plan.rows)
          return { outcomes: plan.outcomes, head: plan.head, written: plan.rows.length, rows: plan.rows }
        })
      )
    }

    const batchError = (cause: Cause.Cause<EventLogError>): EventLogError =>
      Cause.isFailType(cause) && cause.error instanceof EventLogError
        ? cause.error
        : new EventLogError({ method: "append", reason: "storage", message: "append transaction failed", cause })

    /** Nothing to tell after this commit: it wrote no rows, or nobody subscribes. */
    const quiet = (plan: BatchCommit) => plan.written === 0 || listeners.count === 0

    /** Wakes subscribers after a commit that wrote rows. */
    const notify = (plan: BatchCommit): Effect.Effect<void> =>
      quiet(plan)
        ? Effect.void
        : PubSub.publish(commits, {
          head: plan.head,
          rows: shareRows && plan.rows !== undefined ? recordedFromRows(plan.rows) : undefined
        }).pipe(
          // A defect here must not fail the appends (they are committed) nor kill the writer fibre.
          Effect.catchAllCause((cause) => Effect.logWarning("event log: commit notification failed", cause))
        )

    /** Any failure of a batch (defects included) becomes the batch's EventLogError. */
    const batchFailed = (cause: Cause.Cause<EventLogError>) =>
      Effect.zipRight(Effect.logError("event log: append batch failed", cause), Effect.fail(batchError(cause)))

    /** Writes one batch and wakes subscribers. */
    const commit = (requests: ReadonlyArray<AppendRequest>): Effect.Effect<ReadonlyArray<AppendOutcome>, EventLogError> =>
      Effect.matchCauseEffect(writeBatch(requests), {
        onSuccess: (plan) => Effect.as(notify(plan), plan.outcomes),
        onFailure: batchFailed
      })

    const complete = (batch: ReadonlyArray<Pending>, outcomes: ReadonlyArray<AppendOutcome>) =>
      Effect.sync(() => {
        for (let i = 0; i < batch.length; i++) {
          const outcome = outcomes[i]!
          batch[i]!.settle?.(outcome._tag === "Success" ? Exit.succeed(outcome.result) : Exit.fail(outcome.error))
        }
      })

    const failAll = (batch: ReadonlyArray<Pending>, error: EventLogError) =>
      Effect.sync(() => {
        for (const pending of batch) pending.settle?.(Exit.fail(error))
      })

    const closedError = () => new EventLogError({ method: "append", reason: "closed", message: "the event log was closed" })

    // With the default window (0) the writer waits only under contention: when the last batch had several
    // callers, it yields until as many are queued again, for at most ADAPTIVE_WAIT_MS. A synchronous driver
    // (better-sqlite3) blocks the event loop while it commits, so no caller can enqueue during a commit and
    // batches would otherwise stay tiny; a lone appender never waits. A configured window always lingers.
    let lastBatchSize = 1
    const clock = yield* Effect.clock
    const gather = Effect.gen(function*() {
      if (lastBatchSize <= 1) return yield* Effect.yieldNow()
      const target = Math.min(lastBatchSize, options.maxBatch) - 1
      const deadline = clock.unsafeCurrentTimeMillis() + ADAPTIVE_WAIT_MS
      for (let i = 0; i < ADAPTIVE_MAX_YIELDS; i++) {
        yield* Effect.yieldNow()
        if (queue.length >= target || clock.unsafeCurrentTimeMillis() >= deadline) return
      }
    })
    const windowed = Duration.toMillis(options.groupCommitWindow) > 0
    const linger = windowed ? Effect.sleep(options.groupCommitWindow) : gather

    const commitBatch = (first: Pending) =>
      Effect.gen(function*() {
        yield* linger
        const batch = [first, ...takeUpTo(options.maxBatch - 1)]
        lastBatchSize = batch.length
        const exit = yield* Effect.exit(commit(batch.map((p) => p.request)))
        yield* Exit.isSuccess(exit) ? complete(batch, exit.value) : failAll(batch, batchError(exit.cause))
      })

    // A lone appender commits on its own fibre (see `append`); `directInFlight` is true while it does, and the
    // writer waits for it, so the log still has one commit in flight at a time.
    let arriving = 0
    let writerBusy = false
    let directInFlight = false
    let directIdle: Deferred.Deferred<void> | undefined
    let closed = false
    const awaitDirectIdle = Effect.suspend(() => {
      if (!directInFlight) return Effect.void
      if (directIdle === undefined) directIdle = Deferred.unsafeMake<void>(FiberId.none)
      return Deferred.await(directIdle)
    })
    const directDone = () => {
      directInFlight = false
      lastBatchSize = 1
      if (directIdle !== undefined) {
        Deferred.unsafeDone(directIdle, Exit.void)
        directIdle = undefined
      }
    }

    // A batch once taken is always settled: closing the log waits for the commit in flight (so no caller is
    // told "closed" about an append that was in fact committed), and appends still queued fail with "closed"
    // instead of waiting forever. Registered before the fork, so it runs after the writer has stopped.
    const writerLoop = Effect.flatMap(takeFirst, (first) =>
      Effect.uninterruptibleMask((restore) => {
        writerBusy = true
        return restore(awaitDirectIdle).pipe(
          Effect.onInterrupt(() => failAll([first], closedError())),
          Effect.zipRight(commitBatch(first)),
          Effect.ensuring(Effect.sync(() => {
            writerBusy = false
          }))
        )
      }))
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(awaitDirectIdle, Effect.suspend(() => failAll(takeUpTo(Number.POSITIVE_INFINITY), closedError())))
    )
    yield* Effect.forkScoped(Effect.forever(writerLoop))
    // Runs first on close: no append commits directly once the log is closing.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
      })
    )

    const submit = (request: AppendRequest): Effect.Effect<AppendResult, AppendError> =>
      Effect.async<AppendResult, AppendError>((resume) => {
        if (closed) return resume(Effect.fail(closedError()))
        const pending: Pending = { request, settle: resume }
        enqueue(pending)
        // Interrupted while waiting: the append may still commit, but nobody is left to tell.
        return Effect.sync(() => {
          pending.settle = undefined
        })
      })

    /** A lone appender's commit, on its own fibre; run uninterruptibly (see `submitOrCommit`). */
    const commitDirect = (request: AppendRequest): Effect.Effect<AppendResult, AppendError> => {
      directInFlight = true
      const settle = (plan: BatchCommit): Effect.Effect<AppendResult, AppendError> => {
        directDone()
        const outcome = plan.outcomes[0]!
        return outcome._tag === "Success" ? Effect.succeed(outcome.result) : Effect.fail(outcome.error)
      }
      return Effect.matchCauseEffect(writeBatch([request]), {
        onSuccess: (plan) => quiet(plan) ? settle(plan) : Effect.flatMap(notify(plan), () => settle(plan)),
        onFailure: (cause) => {
          directDone()
          return batchFailed(cause)
        }
      })
    }

    const nobodyElse = () => arriving === 0 && !writerBusy && !directInFlight && !closed && queue.length === 0

    // Group commit without a hand-off for the lone appender. A caller that finds anyone else arriving, queued or
    // committing joins the writer's next batch. A caller alone commits on its own fibre: at once when the driver
    // waits on I/O and the last commit was lone too (callers arriving during the commit queue behind it);
    // otherwise it first yields once, so that concurrent callers (whose fibres are runnable now) arrive too —
    // a synchronous driver never yields during a commit, and without this yield N concurrent appends would be
    // N commits; after a batch, the batch's callers resumed together append together again. Uninterruptible
    // up to the choice (`arriving` always counts down); waiting in the queue stays interruptible.
    const submitOrCommit = (request: AppendRequest): Effect.Effect<AppendResult, AppendError> =>
      windowed ? submit(request) : Effect.suspend(() => nobodyElse() ? commitAlone(request) : submit(request))

    /** `submitOrCommit` for a caller that found nobody else (checked again after its yield). */
    const commitAlone = (request: AppendRequest): Effect.Effect<AppendResult, AppendError> =>
      Effect.uninterruptibleMask((restore) => {
        if (!nobodyElse()) return restore(submit(request))
        if (!blocking && lastBatchSize <= 1) return commitDirect(request)
        arriving++
        return Effect.flatMap(Effect.yieldNow(), () => {
          arriving--
          return nobodyElse() ? commitDirect(request) : restore(submit(request))
        })
      })

    const appendEncoded = (streamId: StreamId, expected: ExpectedVersion, events: ReadonlyArray<EncodedEvent>) => {
      const invalid = invalidEncoded(events)
      return invalid === undefined ? submitOrCommit({ streamId, expected, events }) : Effect.fail(invalid)
    }

    const appendEncodedBatch: EventLogService["appendEncodedBatch"] = (requests) =>
      Effect.gen(function*() {
        const results: Array<Deferred.Deferred<AppendResult, AppendError>> = []
        for (const request of requests) {
          const done = yield* Deferred.make<AppendResult, AppendError>()
          const invalid = invalidEncoded(request.events)
          if (invalid !== undefined) Deferred.unsafeDone(done, Exit.fail(invalid))
          else if (closed) Deferred.unsafeDone(done, Exit.fail(closedError()))
          else enqueue({ request, settle: (exit) => Deferred.unsafeDone(done, exit) })
          results.push(done)
        }
        return yield* Effect.forEach(results, (done) => Effect.either(Deferred.await(done)))
      })

    // No span of its own: an append is a hot path, and the events should carry the ids of the caller's span
    // (the request or actor step that caused them), not of a span inside the log. Events encoded here are
    // well-formed by construction, so they skip appendEncoded's check.
    const append: EventLogService["append"] = (streamId, expected, events) =>
      Effect.withFiberRuntime<AppendResult, AppendError>((fiber) => {
        const parent = fiber.currentSpan
        const span = parent !== undefined && parent._tag === "Span" ? parent : undefined
        const encoded: Array<EncodedEvent> = new Array(events.length)
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!
          const spec = isNewEvent(e) ? e : undefined
          const event = spec?.event ?? (e as TauEvent)
          const payload = encodeEvent(event)
          encoded[i] = {
            eventId: spec?.eventId ?? newEventId(),
            type: payload.type,
            schemaVersion: payload.schemaVersion,
            data: payload.data,
            metadata: withTraceIds(spec?.metadata, span),
            source: event
          }
        }
        return submitOrCommit({ streamId, expected, events: encoded })
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

    const subscribeRaw = makeSubscribeRaw(storage, options, commits, listeners)

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
