/**
 * One copy of a session's actor: its state folded from the stream on activation, and `execute`, which runs
 * the decider and appends the decision at the expected stream version (single writer). Every event is sealed
 * before append — encoded, run through the Safety service's deep redaction, decoded back — so no secret reaches
 * the log whatever field it hides in; the state is folded from exactly what was stored.
 */
import { Clock, Effect, Either, Ref, Schema } from "effect"
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
  readonly state: Effect.Effect<SessionState>
  /** Milliseconds since the last event of the stream (or since activation of a new session). */
  readonly idleMs: Effect.Effect<number>
  /** Decides `command` on the current state and appends the events; uninterruptible once started. */
  readonly execute: (
    command: SessionCommand,
    emit: Emit
  ) => Effect.Effect<ReadonlyArray<SessionEvent>, SessionError>
}

const isSessionEvent = Schema.is(SessionEvent)

export const activate = (input: {
  readonly log: EventLogService
  readonly sessionId: SessionId
  readonly settings: DeciderSettings
  readonly redactDeep: <A>(value: A) => A
}) =>
  Effect.gen(function*() {
    const { log, redactDeep, sessionId } = input
    const streamId = sessionStream(sessionId)
    const storage = (e: { readonly message: string }) => new SessionStorageError({ sessionId, message: e.message })
    const envelopes = yield* log.readStream(streamId).pipe(Effect.mapError(storage))
    const events = envelopes.map((e) => e.event).filter(isSessionEvent)
    const state = yield* Ref.make(foldEvents(initialState(sessionId, input.settings), events))
    const version = yield* Ref.make(envelopes.at(-1)?.streamVersion ?? 0)
    const now = yield* Clock.currentTimeMillis
    const lastActivity = yield* Ref.make(envelopes.at(-1)?.recordedAt.getTime() ?? now)
    /** Run events of one user message cite the message's event id as their cause. */
    const cause = yield* Ref.make<EventId | undefined>(
      [...envelopes].reverse().find((e) => e.event._tag === "UserMessageReceived")?.eventId
    )

    const seal = makeSeal(redactDeep)

    const execute = (command: SessionCommand, emit: Emit) =>
      Effect.gen(function*() {
        const current = yield* Ref.get(state)
        const decision = decide(command, current)
        if (Either.isLeft(decision)) return yield* Effect.fail(decision.left)
        if (decision.right.length === 0) return []
        const sealed = yield* Effect.forEach(decision.right, seal)
        const expected = yield* Ref.get(version)
        const causationId = yield* Ref.get(cause)
        const ids = sealed.map(() => newEventId())
        const metadata = {
          correlationId: sessionId,
          actor: "session",
          ...(causationId !== undefined ? { causationId } : {})
        }
        const result = yield* log.append(
          streamId,
          expected === 0 ? "no_stream" : StreamVersion.make(expected),
          sealed.map((event, i) => ({ event, eventId: ids[i], metadata }))
        ).pipe(
          Effect.catchTag("StreamVersionConflict", (e) =>
            Effect.fail(new SessionWriterConflict({ sessionId, expected, actual: e.actual }))),
          Effect.catchTags({ EventIdConflict: (e) => Effect.fail(storage(e)), EventLogError: (e) => Effect.fail(storage(e)) })
        )
        yield* Ref.set(state, sealed.reduce(evolve, current))
        yield* Ref.set(version, result.streamVersion)
        yield* Ref.set(lastActivity, yield* Clock.currentTimeMillis)
        const received = sealed.findIndex((e) => e._tag === "UserMessageReceived")
        if (received >= 0) yield* Ref.set(cause, ids[received])
        sealed.forEach((event, i) =>
          emit({
            _tag: "Event",
            event,
            position: result.positions[i]!,
            streamVersion: StreamVersion.make(expected + i + 1)
          })
        )
        return sealed
      }).pipe(Effect.uninterruptible)

    return {
      sessionId,
      state: Ref.get(state),
      idleMs: Effect.zipWith(Clock.currentTimeMillis, Ref.get(lastActivity), (now, last) => Math.max(0, now - last)),
      execute
    } satisfies SessionActor
  })
