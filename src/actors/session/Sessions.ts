/**
 * The service other code calls to talk to agents: send a message (streaming progress, or waiting for the
 * reply), cancel, end, feedback, and replay a session from the log. Each session is served by one actor
 * fibre in this process (Host.ts); a second copy elsewhere never forks the stream (expected versions).
 */
import { Deferred, Effect, Either, Exit, FiberId, Stream } from "effect"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import { Safety } from "../../agent/safety/Safety.ts"
import { ToolRegistry } from "../../agent/tools/ToolRegistry.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { newSessionId } from "../../domain/Ids.ts"
import { EventLog } from "../../events/EventLog.ts"
import type { FeedbackSource } from "../../events/catalogue/FeedbackEvents.ts"
import { sessionStream } from "../../events/Streams.ts"
import { SessionEvent } from "../../events/TauEvent.ts"
import { Schema } from "effect"
import { SessionStorageError } from "./Errors.ts"
import type { CancelBy, Item, Request, SendError } from "./Host.ts"
import { makeHost } from "./Host.ts"
import { makeProgressChannel } from "./ProgressChannel.ts"
import type { SessionProgress, SessionReply } from "./Progress.ts"
import { PromptSource } from "./PromptSource.ts"
import { SessionConfig } from "./SessionConfig.ts"
import type { SendOptions } from "./Start.ts"
import { makeStart } from "./Start.ts"
import type { SessionState } from "./State.ts"
import { foldEvents, initialState } from "./State.ts"

export interface Feedback {
  readonly rating: number
  readonly comment?: string | undefined
  readonly turn?: number | undefined
  readonly source: FeedbackSource
}

const isSessionEvent = Schema.is(SessionEvent)

export interface SendMessageOptions extends SendOptions {
  readonly sessionId?: SessionId | undefined
  /** `sessionId` was just made (newSessionId) for this message: the session is new, its stream is not read. */
  readonly freshSession?: boolean | undefined
  readonly streamModel?: boolean | undefined
}

export class Sessions extends Effect.Service<Sessions>()("app/actors/Sessions", {
  scoped: Effect.gen(function*() {
    const log = yield* EventLog
    const model = yield* LanguageModel
    const tools = yield* ToolRegistry
    const safety = yield* Safety
    const prompts = yield* PromptSource
    const settings = yield* SessionConfig
    const host = yield* makeHost({
      log,
      model,
      tools,
      safety,
      settings,
      inspectInbound: (text) => safety.inspect("inbound", text),
      redactDeep: safety.redactDeep,
      start: makeStart({ prompts, models: model.models, settings }),
      notConfigured: model.notConfigured
    })

    /** Submits a request; its progress and result arrive on the returned stream. */
    const request = (sessionId: SessionId, req: Request): Stream.Stream<SessionProgress, SendError> =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const channel = makeProgressChannel()
        yield* Effect.addFinalizer(() => Effect.sync(channel.close))
        yield* host.submit(sessionId, { request: req, emit: channel.emit, done: channel.done })
        return channel.stream
      }))

    /** The session a message goes to (a new one unless named) and its Send request. */
    const sendRequest = (
      message: string,
      options: SendMessageOptions,
      streamByDefault?: boolean
    ): readonly [SessionId, Request] => {
      const { freshSession, sessionId, streamModel, ...start } = options
      const fresh = sessionId === undefined || freshSession === true
      return [sessionId ?? newSessionId(), { _tag: "Send", message, options: start, streamModel: streamModel ?? streamByDefault, fresh }]
    }

    /**
     * Sends a message (to a new session unless `sessionId` is given) and streams what happens. `streamModel`
     * overrides the configured TAU_SESSION_STREAM for this message's model calls (text deltas only when streamed).
     */
    const send = (message: string, options: SendMessageOptions = {}) => request(...sendRequest(message, options))

    /** Submits a request and waits for its result; progress goes to `onProgress` as it happens (no stream). */
    const requestAndWait = (
      sessionId: SessionId,
      req: Request,
      onProgress: (progress: SessionProgress) => void
    ): Effect.Effect<SessionReply, SendError> =>
      Effect.suspend(() => {
        const finished = Deferred.unsafeMake<SessionReply, SendError>(FiberId.none)
        const item: Item = {
          request: req,
          emit: onProgress,
          done: (result) =>
            Effect.sync(() => {
              Deferred.unsafeDone(finished, Either.isRight(result) ? Exit.succeed(result.right) : Exit.fail(result.left))
            })
        }
        return Effect.zipRight(host.submit(sessionId, item), Deferred.await(finished))
      })

    /**
     * Sends a message and waits for the reply (its model calls are not streamed unless `streamModel` says so);
     * `onProgress` sees every event (and delta) as it happens.
     */
    const ask = (
      message: string,
      options: SendMessageOptions = {},
      onProgress: (progress: SessionProgress) => void = () => {}
    ) => requestAndWait(...sendRequest(message, options, false), onProgress)

    const ignore = () => {}
    const cancel = (sessionId: SessionId, by: CancelBy = "user") => requestAndWait(sessionId, { _tag: "Cancel", by }, ignore)
    const end = (sessionId: SessionId) => requestAndWait(sessionId, { _tag: "End" }, ignore)
    const feedback = (sessionId: SessionId, input: Feedback) =>
      requestAndWait(sessionId, { _tag: "Feedback", ...input }, ignore)
    /**
     * Records SessionAbandoned if the session is open and has been idle (no event) for TAU_SESSION_IDLE_TIMEOUT_MS,
     * activating its actor if it is not in memory; the reply says its status after.
     */
    const abandonIfIdle = (sessionId: SessionId) => requestAndWait(sessionId, { _tag: "AbandonIfIdle" }, ignore)

    /** The session's state folded from the log alone (no actor, no model). */
    const replay = (sessionId: SessionId): Effect.Effect<SessionState, SessionStorageError> =>
      log.readStream(sessionStream(sessionId)).pipe(
        Effect.map((envelopes) =>
          foldEvents(initialState(sessionId, settings.decider), envelopes.map((e) => e.event).filter(isSessionEvent))
        ),
        Effect.mapError((e) => new SessionStorageError({ sessionId, message: e.message }))
      )

    return { send, ask, cancel, end, feedback, abandonIfIdle, replay, activeActors: host.active } as const
  }),
  dependencies: [LanguageModel.Default, ToolRegistry.Default, Safety.Default, PromptSource.Default]
}) {}
