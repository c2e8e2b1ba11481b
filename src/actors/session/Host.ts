/**
 * The thin runtime around the decider: one fibre per active session (a FiberMap keyed by session id), each
 * with a Queue mailbox. A fibre activates by folding its stream, takes commands one at a time, runs the agent loop
 * for a message (on a fibre of its own that a Cancel interrupts), passivates after idling — or early: least recently
 * used first when more than `maxActors` are in memory, or right after the first message of a session made for it —
 * records SessionAbandoned past the idle timeout, and stops for good when another copy of the actor wrote first.
 */
import { Duration, Effect, Either, Exit, Fiber, FiberMap, Option, Queue } from "effect"
import type { Scope, Tracer } from "effect"
import type { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { timerDelay } from "../../domain/Quantities.ts"
import type { EventLogService } from "../../events/EventLog.ts"
import type { FeedbackSource } from "../../events/catalogue/FeedbackEvents.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { SessionActor } from "./Actor.ts"
import { activate } from "./Actor.ts"
import type { Inspection, StartSpec } from "./Commands.ts"
import { SessionCommand } from "./Commands.ts"
import type { SessionError } from "./Errors.ts"
import { SessionStorageError } from "./Errors.ts"
import type { LoopServices } from "./Loop.ts"
import { runLoop } from "./Loop.ts"
import type { Emit, SessionReply } from "./Progress.ts"
import type { SendOptions, StartInput } from "./Start.ts"
import type { SessionState } from "./State.ts"

export type CancelBy = "user" | "shutdown" | "operator"

export type Request =
  | {
    readonly _tag: "Send"
    readonly message: string
    readonly options: SendOptions
    /** Stream this message's model calls (default: the configured `stream`); a caller waiting for the whole reply needs no deltas. */
    readonly streamModel?: boolean | undefined
    /** The session id was made for this message: no stream to read on activation. */
    readonly fresh?: boolean | undefined
  }
  | { readonly _tag: "Cancel"; readonly by: CancelBy }
  | { readonly _tag: "End" }
  /** Records SessionAbandoned if the session is open and idle past the timeout (IdleSweep.ts); the actor then passivates. */
  | { readonly _tag: "AbandonIfIdle" }
  | {
    readonly _tag: "Feedback"
    readonly rating: number
    readonly comment?: string | undefined
    readonly turn?: number | undefined
    readonly source: FeedbackSource
  }

export type SendError = SessionError | ModelNotConfigured

export interface Item {
  readonly request: Request
  readonly emit: Emit
  readonly done: (result: Either.Either<SessionReply, SendError>) => Effect.Effect<void>
  /** The span of the caller that submitted it (set by `submit`): the item is served under it. */
  readonly span?: Tracer.AnySpan | undefined
}

/** Put in an actor's mailbox to make it passivate (when nothing is queued behind it) to bound the actors in memory. */
const evict = { _tag: "Evict" } as const
/** Put in an actor's mailbox by its idle timer (a plain timer: Effect.timeout would fork two fibres per wait). */
const idle = { _tag: "Idle" } as const
type Mail = Item | typeof evict | typeof idle
const isItem = (mail: Mail): mail is Item => mail !== evict && mail !== idle

/**
 * The actor passivates once `request` is served, unless more mail waits. A message that made its session (no id
 * given) is seldom followed — a chat client that named no session sends the whole conversation again — so its actor
 * would only hold a slot of `maxActors` (and, under load, make an older actor passivate for every new session); a
 * continuation reads the stream. An actor woken only to check for abandonment has nothing more to do either.
 */
const passivatesAfter = (request: Request): boolean =>
  request._tag === "AbandonIfIdle" || (request._tag === "Send" && request.fresh === true)

interface Handle {
  readonly queue: Queue.Queue<Mail>
  /** The loop of the message being served, while it runs. */
  running: Fiber.RuntimeFiber<void, SessionError> | undefined
  /** Who cancelled the running loop (set before it is interrupted). */
  cancelBy: CancelBy | undefined
  /** An `evict` is in its mailbox (not sent twice). */
  evicting: boolean
}

export interface HostServices extends LoopServices {
  readonly log: EventLogService
  readonly inspectInbound: (text: string) => Effect.Effect<Inspection>
  readonly redactDeep: <A>(value: A) => A
  /** How a new session starts (prompt assembly, model, limits); fails when no model is configured. */
  readonly start: (input: StartInput) => Effect.Effect<StartSpec, ModelNotConfigured>
  readonly notConfigured: Option.Option<ModelNotConfigured>
}

export const replyOf = (state: SessionState, events: ReadonlyArray<SessionEvent>, inboundBlocked = false): SessionReply => {
  const replied = events.filter((e) => e._tag === "AssistantReplied").at(-1)
  return {
    sessionId: state.sessionId,
    reply: replied === undefined ? undefined : { turn: replied.turn, content: replied.content, stopReason: replied.stopReason },
    inboundBlocked,
    status: state.status,
    ending: state.ending,
    turns: state.turn,
    costUsd: state.spentUsd,
    promptTokens: state.promptTokens,
    completionTokens: state.completionTokens
  }
}

const midRun = (state: SessionState) =>
  state.status === "ready" || state.status === "awaiting_model" || state.status === "awaiting_tools"

export const makeHost = (services: HostServices): Effect.Effect<{
  readonly submit: (sessionId: SessionId, item: Item) => Effect.Effect<void>
  readonly active: Effect.Effect<number>
}, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { settings } = services
    const clock = yield* Effect.clock
    const fibers = yield* FiberMap.make<SessionId>()
    // Actor fibres start from the host's runtime, not from the request that first reached their session: forked
    // from that request's fibre, an actor would keep its context (the HTTP request with its headers and body, the
    // caller) for as long as it stays in memory, and serve every later message under that first request's span.
    // Each item is served under the span of its own caller instead, so its events carry that request's trace ids.
    const runActor = yield* FiberMap.runtime(fibers)<never>()
    // The map and the `evicting` flags change only inside synchronous blocks (no Effect step in between, so no
    // other fibre runs in the middle): a lock around them cost ~20 Effect operations per use, two uses per message.
    const handles = new Map<SessionId, Handle>()

    /**
     * Runs the loop until the run settles, on a fibre of its own that a Cancel interrupts (`submit` sets
     * `cancelBy` first); the cancel is then recorded as SessionCancelled. One fork per run: racing the loop
     * against a cancel signal forked two fibres and cost ~15 % of a turn's CPU.
     */
    const runCancellable = (actor: SessionActor, handle: Handle, emit: Emit, stream = settings.stream) =>
      Effect.gen(function*() {
        handle.cancelBy = undefined
        const run = yield* Effect.fork(runLoop(actor, services, emit, stream))
        handle.running = run
        // One onExit for both (each of onInterrupt and ensuring opens an uninterruptible region of its own).
        const exit = yield* Fiber.await(run).pipe(
          Effect.onExit((awaited) => {
            handle.running = undefined
            if (!Exit.isInterrupted(awaited)) return Effect.void
            return Fiber.interrupt(run).pipe(
              Effect.zipRight(actor.execute(SessionCommand.Cancel({ by: "shutdown" }), emit)),
              Effect.catchAllCause((cause) => Effect.logWarning("could not record SessionCancelled on shutdown", cause))
            )
          })
        )
        if (Exit.isSuccess(exit)) return
        const by = handle.cancelBy
        handle.cancelBy = undefined
        if (by !== undefined && Exit.isInterrupted(exit)) return yield* actor.execute(SessionCommand.Cancel({ by }), emit)
        return yield* exit
      })

    const serve = (actor: SessionActor, handle: Handle, item: Item) =>
      Effect.gen(function*() {
        const seen: Array<SessionEvent> = []
        const emit: Emit = (p) => {
          if (p._tag === "Event") seen.push(p.event)
          item.emit(p)
        }
        const request = item.request
        switch (request._tag) {
          case "Send": {
            if (Option.isSome(services.notConfigured)) return yield* Effect.fail(services.notConfigured.value)
            // A run cut short (crash, storage failure) is finished before the new message.
            if (midRun(actor.current())) yield* runCancellable(actor, handle, emit)
            const state = actor.current()
            const start = state.status === "new"
              ? yield* services.start({ sessionId: actor.sessionId, message: request.message, options: request.options })
              : undefined
            const inbound = yield* services.inspectInbound(request.message)
            const runs = inbound.action !== "block"
            // The message is appended together with its turn's first model request (one append, not two).
            yield* actor.execute(SessionCommand.SendUserMessage({ inbound, start }), emit, { defer: runs })
            if (runs) {
              yield* runCancellable(actor, handle, emit, request.streamModel ?? settings.stream).pipe(
                Effect.ensuring(Effect.ignore(actor.flush(emit)))
              )
            }
            return replyOf(actor.current(), seen, inbound.action === "block")
          }
          case "Cancel": {
            const state = actor.current()
            if (state.ending !== "SessionCancelled") yield* actor.execute(SessionCommand.Cancel({ by: request.by }), emit)
            return replyOf(actor.current(), seen)
          }
          case "End":
            yield* actor.execute(SessionCommand.End(), emit)
            return replyOf(actor.current(), seen)
          case "AbandonIfIdle":
            yield* abandonIfIdle(actor, emit)
            return replyOf(actor.current(), seen)
          case "Feedback":
            yield* actor.execute(
              SessionCommand.RecordFeedback({
                rating: request.rating,
                comment: request.comment,
                turn: request.turn,
                source: request.source
              }),
              emit
            )
            return replyOf(actor.current(), seen)
        }
      })

    const abandonIfIdle = (actor: SessionActor, emit: Emit = () => {}) =>
      Effect.gen(function*() {
        const state = actor.current()
        if (state.status === "new" || state.status === "ended") return
        const idleMs = yield* actor.idleMs
        if (idleMs < Duration.toMillis(settings.abandonAfter)) return
        yield* actor.execute(SessionCommand.Abandon({ idleMs }), emit)
      })

    /** Handles with an `evict` in their mailbox. */
    let evicting = 0

    /**
     * Over `maxActors` (actors already sent `evict` count as leaving), the least recently used ones — the map's
     * first entries: `submit` moves a used one to the end — are sent `evict`. An actor that finds more mail
     * behind it stays and calls this again, so once all is quiet at most `maxActors` remain. Synchronous.
     */
    const evictOver = () => {
      let excess = handles.size - settings.maxActors - evicting
      if (excess <= 0) return
      for (const handle of handles.values()) {
        if (excess <= 0) break
        if (handle.evicting) continue
        handle.evicting = true
        evicting++
        excess--
        handle.queue.unsafeOffer(evict)
      }
    }

    /** Removes `handle` (if still the session's) from the map. Synchronous. */
    const remove = (sessionId: SessionId, handle: Handle) => {
      if (handles.get(sessionId) !== handle) return
      if (handle.evicting) {
        handle.evicting = false
        evicting--
      }
      handles.delete(sessionId)
    }

    /** Stops the fibre for good: later items go to a fresh activation, queued ones fail with `error`. */
    const retire = (sessionId: SessionId, handle: Handle, error: SendError) =>
      Effect.sync(() => remove(sessionId, handle)).pipe(
        Effect.zipRight(Queue.takeAll(handle.queue)),
        Effect.flatMap((left) => Effect.forEach(left, (mail) => isItem(mail) ? mail.done(Either.left(error)) : Effect.void))
      )

    const actorFiber = (sessionId: SessionId, handle: Handle, fresh: boolean): Effect.Effect<void> => {
      let current: Item | undefined
      /**
       * Passivates if nothing is queued: checked and removed in one synchronous block (as submit finds and offers in
       * one), so no mail is left behind. Synchronous.
       */
      const passivateIfEmpty = () => {
        if (Option.getOrElse(handle.queue.unsafeSize(), () => 0) !== 0) return false
        remove(sessionId, handle)
        return true
      }
      /** A fibre that dies or is interrupted still answers its callers, and leaves the map. */
      const abort = (message: string) => {
        const error = new SessionStorageError({ sessionId, message })
        const inFlight = current
        current = undefined
        return Effect.zipRight(
          inFlight === undefined ? Effect.void : inFlight.done(Either.left(error)),
          retire(sessionId, handle, error)
        )
      }
      return Effect.gen(function*() {
        const activated = yield* activate({
          log: services.log,
          sessionId,
          settings: settings.decider,
          redactDeep: services.redactDeep,
          fresh
        }).pipe(Effect.either)
        if (Either.isLeft(activated)) return yield* retire(sessionId, handle, activated.left)
        const actor = activated.right
        /** An attempt to record SessionAbandoned failed: not tried again before this activation passivates. */
        let abandonFailed = false
        const tryAbandon = abandonIfIdle(actor).pipe(
          Effect.catchAll((e) => Effect.zipRight(Effect.sync(() => (abandonFailed = true)), Effect.logWarning("abandon failed", e)))
        )
        yield* tryAbandon
        const passivateAfter = Duration.toMillis(settings.passivateAfter)
        /** When the actor last finished a message (or activated): it passivates `passivateAfter` later. */
        let idleSince = clock.unsafeCurrentTimeMillis()
        for (;;) {
          const state = actor.current()
          const open = state.status !== "new" && state.status !== "ended" && !abandonFailed
          const untilPassivate = passivateAfter - (clock.unsafeCurrentTimeMillis() - idleSince)
          const untilAbandon = Duration.toMillis(settings.abandonAfter) - (yield* actor.idleMs)
          const wait = Math.max(1, open ? Math.min(untilPassivate, untilAbandon) : untilPassivate)
          // Unref'd: an actor interrupted while waiting (shutdown) leaves a timer that keeps nothing alive; a tick
          // that lands after other mail is stale, and only re-arms the timer.
          const timer = setTimeout(() => handle.queue.unsafeOffer(idle), timerDelay(wait))
          timer.unref()
          const mail = yield* Queue.take(handle.queue)
          clearTimeout(timer)
          if (!isItem(mail)) {
            if (mail === idle) {
              yield* tryAbandon
              // A tick for the abandonment deadline, or one that came a moment early by the actor's clock (node's
              // timers and Date.now disagree by up to a millisecond), only re-arms the timer: passivating on it left
              // a session not yet past the idle timeout unabandoned until its next activation.
              if (clock.unsafeCurrentTimeMillis() - idleSince < passivateAfter) continue
            }
            const stopped = yield* Effect.sync(() => {
              if (passivateIfEmpty()) return true
              if (mail === evict) {
                handle.evicting = false
                evicting--
                evictOver()
              }
              return false
            })
            if (stopped) return
            continue
          }
          const item = mail
          current = item
          const served = serve(actor, handle, item)
          const result = yield* (item.span === undefined ? served : Effect.withParentSpan(served, item.span)).pipe(
            Effect.either
          )
          current = undefined
          idleSince = clock.unsafeCurrentTimeMillis()
          if (Either.isRight(result)) item.emit({ _tag: "Finished", reply: result.right })
          yield* item.done(result)
          if (Either.isLeft(result) && result.left._tag === "SessionWriterConflict") {
            yield* Effect.logWarning("another actor writes this session; this copy stops").pipe(
              Effect.annotateLogs({ sessionId })
            )
            return yield* retire(sessionId, handle, result.left)
          }
          if (passivatesAfter(item.request) && (yield* Effect.sync(passivateIfEmpty))) return
        }
      }).pipe(
        Effect.onInterrupt(() => abort("the session actor was stopped (shutdown)")),
        Effect.catchAllCause((cause) =>
          Effect.zipRight(Effect.logError("session actor failed", cause), abort("the session actor failed; see the log"))
        ),
        Effect.annotateLogs({ actor: "session", sessionId })
      )
    }

    const submit = (sessionId: SessionId, submitted: Item): Effect.Effect<void> =>
      Effect.withFiberRuntime((fiber) => {
        const span = fiber.currentSpan
        const item = span === undefined || submitted.span !== undefined ? submitted : { ...submitted, span }
        const existing = handles.get(sessionId)
        if (existing !== undefined) {
          const cancel = item.request._tag === "Cancel" ? item.request.by : undefined
          const running = existing.running
          if (cancel !== undefined && running !== undefined) existing.cancelBy = cancel
          existing.queue.unsafeOffer(item)
          // Most recently used last: eviction takes the map's first entries.
          handles.delete(sessionId)
          handles.set(sessionId, existing)
          return cancel !== undefined && running !== undefined ? Fiber.interruptFork(running) : Effect.void
        }
        return Effect.flatMap(Queue.unbounded<Mail>(), (queue) => {
          // Another submit may have added the session while the queue was made.
          const raced = handles.get(sessionId)
          if (raced !== undefined) return Effect.zipRight(Queue.shutdown(queue), submit(sessionId, item))
          const handle: Handle = { queue, running: undefined, cancelBy: undefined, evicting: false }
          queue.unsafeOffer(item)
          handles.set(sessionId, handle)
          evictOver()
          const fresh = item.request._tag === "Send" && item.request.fresh === true
          runActor(sessionId, actorFiber(sessionId, handle, fresh))
          return Effect.void
        })
      })

    return { submit, active: FiberMap.size(fibers) } as const
  })
