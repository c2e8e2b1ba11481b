/**
 * One copy of a session's actor: its state folded from the stream on activation, and `execute`, which runs
 * the decider and appends the decision at the expected stream version (single writer). Every event is sealed
 * before append — encoded, run through the Safety service's deep redaction, decoded back — so no secret reaches
 * the log whatever field it hides in; the state is folded from exactly what was stored.
 */
import { Effect, Either, Fiber, Runtime, Schema } from "effect"
import type { EventId, SessionId } from "../../domain/Ids.ts"
import { newEventId, StreamVersion } from "../../domain/Ids.ts"
import type { EventLogService } from "../../events/EventLog.ts"
import { sessionStream } from "../../events/Streams.ts"
import { SessionEvent } from "../../events/TauEvent.ts"
import type { SessionCommand } from "./Commands.ts"
import { decide } from "./Decider.ts"
import type { SessionError } from "./Errors.ts"
import { SessionStorageError, SessionWriterConflict } from "./Errors.ts"
import type { Emit } from "./Progress.ts"
import { makeSeal } from "./Seal.ts"
import type { DeciderSettings, SessionState } from "./State.ts"
import { evolve, foldEvents, initialState } from "./State.ts"

export interface SessionActor {
  readonly sessionId: SessionId
  /** The state now (a plain read: the actor's own fibre reads it many times per message). */
  readonly current: () => SessionState
  /** Milliseconds since the last event of the stream (or since activation of a new session). */
  readonly idleMs: Effect.Effect<number>
  /**
   * Decides `command` on the current state and appends the events; uninterruptible once started. With
   * `defer`, the events are decided and folded into the state but appended with the next `execute` (or `flush`):
   * a message and its turn's first model request become one append. With `linger` (milliseconds), they are
   * deferred so, and if no `execute` or `flush` has taken them within `linger`, their append starts on a fibre of its
   * own (at once with 0): `execute` returns without waiting for it to be durable, the next `execute` or `flush` waits
   * for it first (and fails, with the state the stream's again, if it failed), so the log keeps the order of
   * decisions. A turn's request thus rides with its answer when the model answers within `linger`.
   */
  readonly execute: (
    command: SessionCommand,
    emit: Emit,
    options?: ExecuteOptions
  ) => Effect.Effect<ReadonlyArray<SessionEvent>, SessionError>
  /** Appends deferred events, if any, after any append still in flight. */
  readonly flush: (emit: Emit) => Effect.Effect<void, SessionError>
}

export interface ExecuteOptions {
  readonly defer?: boolean
  readonly linger?: number
}

const isSessionEvent = Schema.is(SessionEvent)

export const activate = (input: {
  readonly log: EventLogService
  readonly sessionId: SessionId
  readonly settings: DeciderSettings
  readonly redactDeep: <A>(value: A) => A
  /** The id was just made for a new session: its stream cannot exist yet, so it is not read. */
  readonly fresh?: boolean
}) =>
  Effect.gen(function*() {
    const { log, redactDeep, sessionId } = input
    const streamId = sessionStream(sessionId)
    const storage = (e: { readonly message: string }) => new SessionStorageError({ sessionId, message: e.message })
    const envelopes = input.fresh === true ? [] : yield* log.readStream(streamId).pipe(Effect.mapError(storage))
    const events = envelopes.map((e) => e.event).filter(isSessionEvent)
    // Plain cells, not Refs: one fibre at a time runs `execute`/`flush` (the actor's), and a `linger` append that
    // writes them is joined before they are read again.
    let state = foldEvents(initialState(sessionId, input.settings), events)
    let version: number = envelopes.at(-1)?.streamVersion ?? 0
    // Read synchronously where time is needed (after every append, at every mail): one capture, not an Effect each.
    const clock = yield* Effect.clock
    let lastActivity = envelopes.at(-1)?.recordedAt.getTime() ?? clock.unsafeCurrentTimeMillis()
    /** Run events of one user message cite the message's event id as their cause. */
    let cause: EventId | undefined = [...envelopes].reverse().find((e) => e.event._tag === "UserMessageReceived")?.eventId

    const seal = makeSeal(redactDeep)

    /** Decided, sealed and folded into `state`, not yet appended (see `defer`); `stored` is the state without them. */
    let deferred: ReadonlyArray<SessionEvent> = []
    let stored = state

    const append = (sealed: ReadonlyArray<SessionEvent>, emit: Emit) =>
      Effect.gen(function*() {
        const expected = version
        const ids = sealed.map(() => newEventId())
        // Each event cites the latest user message before it (in the stream or earlier in this append).
        let causationId = cause
        const metadata = sealed.map((event, i) => {
          const cites = causationId
          if (event._tag === "UserMessageReceived") causationId = ids[i]
          return { correlationId: sessionId, actor: "session", ...(cites !== undefined ? { causationId: cites } : {}) }
        })
        const result = yield* log.append(
          streamId,
          expected === 0 ? "no_stream" : StreamVersion.make(expected),
          sealed.map((event, i) => ({ event, eventId: ids[i], metadata: metadata[i] }))
        ).pipe(
          Effect.catchTag("StreamVersionConflict", (e) =>
            Effect.fail(new SessionWriterConflict({ sessionId, expected, actual: e.actual }))),
          Effect.catchTags({ EventIdConflict: (e) => Effect.fail(storage(e)), EventLogError: (e) => Effect.fail(storage(e)) })
        )
        version = result.streamVersion
        lastActivity = clock.unsafeCurrentTimeMillis()
        cause = causationId
        sealed.forEach((event, i) =>
          emit({
            _tag: "Event",
            event,
            position: result.positions[i]!,
            streamVersion: StreamVersion.make(expected + i + 1)
          })
        )
      })

    /** An append started by `linger` and not yet waited for. */
    let inFlight: Fiber.RuntimeFiber<void, SessionError> | undefined
    /** The timer that starts a `linger` append, until it fires or an `execute` or `flush` takes the events first. */
    let lingering: ReturnType<typeof setTimeout> | undefined
    const settled = Effect.suspend(() => {
      if (lingering !== undefined) {
        clearTimeout(lingering)
        lingering = undefined
      }
      const fiber = inFlight
      inFlight = undefined
      return fiber === undefined ? Effect.void : Fiber.join(fiber)
    })

    /**
     * A plain timer rather than a sleeping fibre: a fast model answers first, and then the turn costs no fibre and
     * no extra append. The fibre the timer starts runs in the runtime of the `execute` that deferred the events (its
     * services, span and log annotations), as a fork would.
     */
    const linger = (emit: Emit, ms: number) =>
      ms <= 0
        ? Effect.map(Effect.forkDaemon(appendDeferred(emit)), (fiber) => {
          inFlight = fiber
        })
        : Effect.map(Effect.runtime<never>(), (runtime) => {
          lingering = setTimeout(() => {
            lingering = undefined
            inFlight = Runtime.runFork(runtime)(Effect.uninterruptible(appendDeferred(emit)))
          }, ms)
        })

    const execute = (command: SessionCommand, emit: Emit, options?: ExecuteOptions) =>
      Effect.gen(function*() {
        yield* settled
        const current = state
        const decision = decide(command, current)
        if (Either.isLeft(decision)) {
          yield* flush(emit)
          return yield* Effect.fail(decision.left)
        }
        const sealed = decision.right.map(seal)
        deferred = [...deferred, ...sealed]
        state = sealed.reduce(evolve, current)
        if (options?.linger !== undefined) yield* linger(emit, options.linger)
        else if (options?.defer !== true) yield* appendDeferred(emit)
        return sealed
      }).pipe(Effect.uninterruptible)

    /**
     * Appends what was deferred; when that fails nothing was written and the state is the stream's again. Only
     * run inside `execute` and `flush`, which are uninterruptible, and by `linger`, uninterruptibly.
     */
    const appendDeferred = (emit: Emit): Effect.Effect<void, SessionError> =>
      Effect.suspend(() => {
        if (deferred.length === 0) return Effect.void
        const events = deferred
        deferred = []
        return append(events, emit).pipe(
          Effect.zipRight(Effect.sync(() => {
            stored = state
          })),
          Effect.tapError(() =>
            Effect.sync(() => {
              state = stored
            })
          )
        )
      })

    const flush = (emit: Emit): Effect.Effect<void, SessionError> =>
      Effect.zipRight(settled, appendDeferred(emit)).pipe(Effect.uninterruptible)

    return {
      sessionId,
      flush,
      current: () => state,
      idleMs: Effect.sync(() => Math.max(0, clock.unsafeCurrentTimeMillis() - lastActivity)),
      execute
    } satisfies SessionActor
  })
