/**
 * The gateway's audit trail writer. `record` hands an entry to a bounded in-memory buffer and returns at once;
 * one background fibre appends the buffered entries as `RequestAudited` events in batches (one append per UTC
 * day touched by a batch, expected version "any"), at most `flushInterval` after the first entry of a batch or
 * as soon as `maxBatch` entries wait. Closing the layer's scope flushes what is left.
 *
 * When the buffer is full (the database stalls) the NEWEST entries are dropped: the buffer keeps the
 * contiguous record of what happened up to the stall, and a drop costs nothing on the request path. Drops
 * are counted and warned about at most once per `warnEvery`.
 *
 * Event ids are derived from the request id, so a retried append (or a second recording of the same request)
 * is an idempotent no-op in the log.
 */
import { Clock, Config, Deferred, Duration, Effect, Fiber, Queue, Ref, Schedule, Schema } from "effect"
import { hashUuid } from "../../actors/reward/RewardEventId.ts"
import { ApiKeyId, EventId, SessionId } from "../../domain/Ids.ts"
import type { StreamId } from "../../domain/Ids.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import { RequestAudited } from "../../events/catalogue/GatewayEvents.ts"
import type { AppendError } from "../../events/Errors.ts"
import { EventLog } from "../../events/EventLog.ts"
import type { NewEvent } from "../../events/EventLog.ts"
import { auditStream } from "../../events/Streams.ts"

/** What the middleware knows about an answered request. Out-of-range values are clamped, never refused. */
export interface AuditEntry {
  readonly requestId: string
  readonly keyId?: ApiKeyId | undefined
  readonly method: string
  /** The path without its query string. */
  readonly route: string
  readonly sessionId?: SessionId | undefined
  readonly status: number
  readonly latencyMs: number
  /** Epoch ms. */
  readonly startedAt: number
}

export interface AuditTrailSettings {
  /** Entries the buffer holds; beyond that new entries are dropped. */
  readonly capacity: number
  /** Most entries per flush (and the size that triggers one before the interval). */
  readonly maxBatch: number
  /** Longest an entry waits in the buffer before its batch is flushed. */
  readonly flushInterval: Duration.Duration
  /** How long closing the scope may take to write what is left. */
  readonly shutdownTimeout: Duration.Duration
  /** Least time between two "buffer full" warnings. */
  readonly warnEvery: Duration.Duration
}

const between = (name: string, min: number, max: number) =>
  Config.validate({ message: `${name} must be between ${min} and ${max}`, validation: (n: number) => n >= min && n <= max })

export const AuditTrailConfig: Config.Config<AuditTrailSettings> = Config.all({
  capacity: Config.integer("TAU_AUDIT_BUFFER").pipe(between("TAU_AUDIT_BUFFER", 1, 10_000_000), Config.withDefault(50_000)),
  maxBatch: Config.integer("TAU_AUDIT_BATCH").pipe(between("TAU_AUDIT_BATCH", 1, 10_000), Config.withDefault(500)),
  flushInterval: Config.integer("TAU_AUDIT_FLUSH_MS").pipe(
    between("TAU_AUDIT_FLUSH_MS", 1, 60_000),
    Config.withDefault(200),
    Config.map(Duration.millis)
  ),
  shutdownTimeout: Config.duration("TAU_AUDIT_SHUTDOWN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  warnEvery: Config.succeed(Duration.seconds(5))
})

export interface AuditTrailStats {
  /** Entries accepted into the buffer. */
  readonly recorded: number
  /** Entries refused because the buffer was full. */
  readonly dropped: number
  /** Entries appended (or found already stored: an idempotent retry). */
  readonly written: number
  /** Entries not written: appends still failing after the retries, an event id stored with other content, no
   * request id, or a request id repeated within one batch. */
  readonly lost: number
  /** Append calls made. */
  readonly appends: number
  /** Entries waiting in the buffer. */
  readonly buffered: number
}

/** The event id of a request's audit event: the same request id always gives the same id. */
export const auditEventId = (requestId: string): EventId => EventId.make(hashUuid(`audit|${requestId}`))

const maxStartedAt = 253_402_300_799_999
const isApiKeyId = Schema.is(ApiKeyId)
const isSessionId = Schema.is(SessionId)

/** Lone surrogates would make PostgreSQL reject the JSON (and with it the whole batch). */
const wellFormed = (text: string): string =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")

const clampInt = (n: number, min: number, max: number): number =>
  Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min

/** The event for an entry, its fields clamped into the event's schema; undefined without a request id. */
export const auditEvent = (entry: AuditEntry): RequestAudited | undefined => {
  const requestId = wellFormed(entry.requestId.slice(0, 100))
  if (requestId.length === 0) return undefined
  // Every field is clamped into its schema above and below, so the per-entry validation (most of a batch's
  // CPU cost) is skipped.
  return unchecked(RequestAudited, {
    requestId,
    ...(entry.keyId !== undefined && isApiKeyId(entry.keyId) ? { keyId: entry.keyId } : {}),
    method: wellFormed(entry.method.slice(0, 16)),
    route: wellFormed(entry.route.slice(0, 2000)),
    ...(entry.sessionId !== undefined && isSessionId(entry.sessionId) ? { sessionId: entry.sessionId } : {}),
    status: clampInt(entry.status, 100, 599),
    latencyMs: clampInt(entry.latencyMs, 0, Number.MAX_SAFE_INTEGER),
    startedAt: clampInt(entry.startedAt, 0, maxStartedAt)
  })
}

export interface AuditAppend {
  readonly streamId: StreamId
  readonly events: ReadonlyArray<NewEvent>
}

/**
 * The appends of one batch: one per UTC day its entries started on (a batch spanning midnight is split), in
 * order of first appearance; a request id repeated within the batch keeps its first entry.
 */
export const planAuditBatch = (entries: ReadonlyArray<AuditEntry>): ReadonlyArray<AuditAppend> => {
  const byStream = new Map<StreamId, Array<NewEvent>>()
  const seen = new Set<string>()
  for (const entry of entries) {
    const event = auditEvent(entry)
    if (event === undefined || seen.has(event.requestId)) continue
    seen.add(event.requestId)
    const streamId = auditStream(new Date(event.startedAt))
    const events = byStream.get(streamId) ?? []
    if (events.length === 0) byStream.set(streamId, events)
    events.push({ event, eventId: auditEventId(event.requestId), metadata: { actor: "gateway", correlationId: event.requestId } })
  }
  return [...byStream].map(([streamId, events]) => ({ streamId, events }))
}

/** Storage failures: 100 ms doubling, jittered, six retries (about 6 s in all). */
const retrySchedule = Schedule.exponential("100 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(6)))

const isRetryable = (error: AppendError) => error._tag === "EventLogError"

/** Put in the buffer on close, to wake a loop waiting on an empty buffer. */
interface Wake {
  readonly _tag: "Wake"
}
const wake: Wake = { _tag: "Wake" }
type Item = AuditEntry | Wake
const isEntry = (item: Item): item is AuditEntry => item !== wake

const make = Effect.gen(function*() {
  const log = yield* EventLog
  const settings = yield* AuditTrailConfig
  const { capacity, maxBatch } = settings
  const intervalMs = Duration.toMillis(settings.flushInterval)
  const warnEveryMs = Duration.toMillis(settings.warnEvery)

  const queue = yield* Queue.dropping<Item>(capacity)
  const closed = yield* Deferred.make<void>()
  // Plain counters: every request records an entry, and each change is one synchronous step.
  const counters = { recorded: 0, dropped: 0, written: 0, lost: 0, appends: 0 }
  const warned = yield* Ref.make({ at: Number.NEGATIVE_INFINITY, dropped: 0 })

  const count = (key: "written" | "lost" | "appends", n: number) =>
    Effect.sync(() => {
      counters[key] += n
    })

  const warnDropped = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const { dropped } = counters
    const since = yield* Ref.modify(warned, (w) =>
      now - w.at >= warnEveryMs ? [dropped - w.dropped, { at: now, dropped }] : [0, w])
    if (since > 0) {
      yield* Effect.logWarning(
        `audit trail buffer full (${capacity} entries): dropped ${since} new entries (${dropped} since start); ` +
          "the database is not keeping up"
      )
    }
  })

  /** Never fails and never waits: a full buffer drops the entry. */
  const record = (entry: AuditEntry): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (queue.unsafeOffer(entry)) {
        counters.recorded++
        return Effect.void
      }
      counters.dropped++
      return warnDropped
    })

  const appendOnce = (streamId: StreamId, events: ReadonlyArray<NewEvent>) =>
    Effect.zipRight(count("appends", 1), log.append(streamId, "any", events)).pipe(
      Effect.retry({ schedule: retrySchedule, while: isRetryable })
    )

  /** An id already stored with other content fails the whole append: write the events one by one instead. */
  const appendEach = (streamId: StreamId, events: ReadonlyArray<NewEvent>) =>
    Effect.forEach(events, (event) =>
      appendOnce(streamId, [event]).pipe(
        Effect.zipRight(count("written", 1)),
        Effect.catchAll((error) =>
          Effect.zipRight(
            count("lost", 1),
            Effect.logWarning(`audit entry ${String(event.eventId)} on ${streamId} not written`, error)
          )
        )
      ), { discard: true })

  const writeGroup = ({ events, streamId }: AuditAppend) =>
    appendOnce(streamId, events).pipe(
      Effect.zipRight(count("written", events.length)),
      Effect.catchTag("EventIdConflict", () => appendEach(streamId, events)),
      Effect.catchAll((error) =>
        Effect.zipRight(
          count("lost", events.length),
          Effect.logError(`audit trail: ${events.length} entries on ${streamId} lost after retries`, error)
        )
      ),
      Effect.catchAllDefect((defect) =>
        Effect.zipRight(
          count("lost", events.length),
          Effect.logError(`audit trail: ${events.length} entries on ${streamId} lost`, defect)
        )
      )
    )

  const flush = (entries: ReadonlyArray<AuditEntry>) => {
    const appends = planAuditBatch(entries)
    const planned = appends.reduce((n, a) => n + a.events.length, 0)
    return Effect.zipRight(
      count("lost", entries.length - planned),
      Effect.forEach(appends, writeGroup, { discard: true })
    ).pipe(Effect.withSpan("AuditTrail.flush", { attributes: { entries: entries.length } }))
  }

  /** Waits, after a batch's first entry, until the batch is full, the interval is over or the scope closes. */
  const fillWindow = Effect.gen(function*() {
    const deadline = (yield* Clock.currentTimeMillis) + intervalMs
    while (true) {
      if ((yield* Queue.size(queue)) + 1 >= maxBatch) return
      const left = deadline - (yield* Clock.currentTimeMillis)
      if (left <= 0) return
      const closing = yield* Effect.raceFirst(
        Effect.as(Effect.sleep(Duration.millis(Math.min(left, 10))), false),
        Effect.as(Deferred.await(closed), true)
      )
      if (closing) return
    }
  })

  const loop = Effect.gen(function*() {
    while (true) {
      const first = yield* Queue.take(queue)
      if (!(yield* Deferred.isDone(closed))) yield* fillWindow
      const rest = yield* Queue.takeUpTo(queue, maxBatch - 1)
      const batch = [first, ...rest].filter(isEntry)
      if (batch.length > 0) yield* flush(batch)
      if ((yield* Deferred.isDone(closed)) && (yield* Queue.size(queue)) === 0) return
    }
  })

  const fiber = yield* Effect.forkScoped(loop.pipe(Effect.annotateLogs({ service: "AuditTrail" })))

  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      yield* Deferred.succeed(closed, undefined)
      // Wakes a loop blocked on an empty buffer; a full buffer means the loop is busy and will see `closed`.
      yield* Queue.offer(queue, wake)
      const exit = yield* Fiber.await(fiber).pipe(Effect.timeoutOption(settings.shutdownTimeout))
      if (exit._tag === "None") {
        const left = yield* Queue.size(queue)
        yield* Effect.logError(
          `audit trail: shutdown timed out after ${Duration.format(settings.shutdownTimeout)}; ${left} buffered entries not written`
        )
        yield* Fiber.interrupt(fiber)
      }
    }).pipe(Effect.annotateLogs({ service: "AuditTrail" }))
  )

  const stats: Effect.Effect<AuditTrailStats> = Effect.zipWith(
    Effect.sync(() => ({ ...counters })),
    Queue.size(queue),
    (c, size) => ({ ...c, buffered: Math.max(0, size) })
  )

  return { record, stats } as const
})

/**
 * `record(entry)` never fails and never blocks; `stats` counts what happened to the entries. Needs `EventLog`;
 * settings from TAU_AUDIT_BUFFER, TAU_AUDIT_BATCH, TAU_AUDIT_FLUSH_MS and TAU_AUDIT_SHUTDOWN_TIMEOUT.
 */
export class AuditTrail extends Effect.Service<AuditTrail>()("tau/http/AuditTrail", {
  scoped: make
}) {}
