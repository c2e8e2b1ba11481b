/**
 * Recording proxy mode: an OpenAI-compatible request that carries its own tools is answered by the model with
 * the client's messages and tools, and recorded as a `session-<id>` stream (source "proxy") so the reward
 * evaluator, projections and learners see agents that run elsewhere. `begin` folds the session, records the new
 * input (user messages, the client's tool results) and ModelRequested in one append at the expected version —
 * that append claims the session, so of two concurrent requests one wins and the other fails with
 * ProxySessionConflict. The returned turn then calls the model and records its response (or failure) the same way.
 * Each session's folded view is cached (ProxyView.ts), so a request decodes only the events since the last one.
 * Every event is sealed (deep redaction) before append, as the session actor does.
 */
import { Clock, Duration, Effect, Option, Schedule } from "effect"
import type { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { ChatMessage, ModelRequest, ToolChoice, ToolSpec } from "../../agent/llm/Types.ts"
import { Safety } from "../../agent/safety/Safety.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { ModelName, newEventId, StreamVersion } from "../../domain/Ids.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import { EventLog } from "../../events/EventLog.ts"
import { sessionStream } from "../../events/Streams.ts"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import { SessionAbandoned, type SessionEvent, UserMessageReceived } from "../../events/TauEvent.ts"
import type { Inspection, ToolOutcome } from "../session/Commands.ts"
import { violation } from "../session/DecideSupport.ts"
import { SessionAlreadyEnded, SessionStorageError } from "../session/Errors.ts"
import { SWEEP_PAGE, sweepInterval } from "../session/IdleSweep.ts"
import { SessionConfig } from "../session/SessionConfig.ts"
import { makeSeal } from "../session/Seal.ts"
import { evolve } from "../session/State.ts"
import { ProxySessionConflict } from "./Errors.ts"
import type { ProxyView } from "./ProxyView.ts"
import { emptyView, stepView } from "./ProxyView.ts"
import { modelRequested, newInput, proxyStarted, systemPromptOf, toolResultEvents } from "./ProxyPlan.ts"
import type { ProxyTurn } from "./ProxyTurn.ts"
import { makeRequest, makeTurn } from "./ProxyTurn.ts"

export interface ProxyInput {
  readonly sessionId: SessionId
  readonly messages: ReadonlyArray<ChatMessage>
  readonly tools: ReadonlyArray<ToolSpec>
  readonly toolChoice?: ToolChoice | undefined
  /** Sampling parameters (temperature, maxTokens, …) in ModelRequest's names. */
  readonly sampling: Partial<Pick<ModelRequest, "temperature" | "topP" | "maxTokens" | "seed" | "frequencyPenalty" | "presencePenalty" | "logprobs" | "topLogprobs">>
  /** The model the client named; used when it is one of the configured models, else the primary answers. */
  readonly model?: string | undefined
  readonly userId?: string | undefined
  readonly streaming: boolean
  /** `sessionId` was made for this request: its stream cannot exist, so it is not read (a wrong claim conflicts). */
  readonly freshSession?: boolean | undefined
}

export type ProxyBeginError = ProxySessionConflict | SessionAlreadyEnded | SessionStorageError | ModelNotConfigured

/** A model call the log shows as requested and unanswered for longer than this is taken as abandoned. */
const staleAfterMs = 10 * 60_000

/** The session's last event is a model request younger than `staleAfterMs`: its call is taken to be in flight. */
const modelCallInFlight = (view: ProxyView, now: number) =>
  view.state.status === "awaiting_model" && view.lastTag === "ModelRequested" && now - view.lastAt < staleAfterMs

/** Sessions whose view is kept in memory (least recently used ones are dropped, then re-read when needed). */
const maxViews = 10_000


export class ProxyRecorder extends Effect.Service<ProxyRecorder>()("app/actors/ProxyRecorder", {
  scoped: Effect.gen(function*() {
    const log = yield* EventLog
    const model = yield* LanguageModel
    const safety = yield* Safety
    const { abandonAfter } = yield* SessionConfig
    const query = yield* SessionsQuery
    const idleMs = Duration.toMillis(abandonAfter)
    /** Proxy sessions this process wrote to, with the time of its last append: the idle sweep's candidates. */
    const touched = new Map<SessionId, number>()

    const seal = makeSeal(safety.redactDeep)

    const views = new Map<SessionId, ProxyView>()
    const remember = (sessionId: SessionId, view: ProxyView) => {
      // A slower concurrent read must not put an older view back.
      if ((views.get(sessionId)?.version ?? -1) > view.version) return
      views.delete(sessionId)
      views.set(sessionId, view)
      if (views.size > maxViews) views.delete(views.keys().next().value!)
    }

    /** The session as of now: the cached view advanced by the events after its version (any writer's). */
    const viewOf = (sessionId: SessionId) =>
      Effect.gen(function*() {
        const cached = views.get(sessionId) ?? emptyView(sessionId)
        const envelopes = yield* log.readStream(sessionStream(sessionId), cached.version + 1).pipe(
          Effect.mapError((e) => new SessionStorageError({ sessionId, message: e.message }))
        )
        if (envelopes.length === 0) return cached
        const view = envelopes.reduce(
          (v, e) => stepView(v, { event: e.event, eventId: e.eventId, streamVersion: e.streamVersion, at: e.recordedAt.getTime() }),
          cached
        )
        remember(sessionId, view)
        return view
      })

    /** Appends sealed events at the view's version; returns them and the advanced view. */
    const append = (sessionId: SessionId, view: ProxyView, events: ReadonlyArray<SessionEvent>) =>
      Effect.gen(function*() {
        const expected = view.version
        const sealed = events.map(seal)
        const ids = sealed.map(() => newEventId())
        const received = sealed.findIndex((e) => e._tag === "UserMessageReceived")
        const cause = received >= 0 ? ids[received] : view.userEventId
        const metadata = { correlationId: sessionId, actor: "proxy", ...(cause !== undefined ? { causationId: cause } : {}) }
        yield* log.append(
          sessionStream(sessionId),
          expected === 0 ? "no_stream" : StreamVersion.make(expected),
          sealed.map((event, i) => ({ event, eventId: ids[i], metadata }))
        ).pipe(
          Effect.catchTags({
            StreamVersionConflict: () =>
              Effect.fail(
                new ProxySessionConflict({ sessionId, reason: "conflict", detail: "another request on this session wrote first" })
              ),
            EventIdConflict: (e) => Effect.fail(new SessionStorageError({ sessionId, message: e.message })),
            EventLogError: (e) => Effect.fail(new SessionStorageError({ sessionId, message: e.message }))
          })
        )
        const at = yield* Clock.currentTimeMillis
        touched.set(sessionId, at)
        const next = sealed.reduce(
          (v, event, i) => stepView(v, { event, eventId: ids[i]!, streamVersion: expected + i + 1, at }),
          view
        )
        remember(sessionId, next)
        return { events: sealed, view: next }
      }).pipe(Effect.uninterruptible)

    /** SessionAbandoned for `sessionId` if it is an open proxy session idle past the timeout; else when to look again. */
    const abandonIfIdle = (sessionId: SessionId, now: number) =>
      Effect.gen(function*() {
        const view = yield* viewOf(sessionId)
        const { state } = view
        if (view.version === 0 || state.status === "ended" || state.started?.source !== "proxy") return undefined
        // A model call of this session is in flight: its response is still to be recorded, so the session is not
        // idle however long the call takes (abandoning it here made the request's own append a conflict).
        if (modelCallInFlight(view, now)) return now
        const idle = now - view.lastAt
        if (idle < idleMs) return view.lastAt
        yield* append(sessionId, view, [unchecked(SessionAbandoned, { sessionId, idleMs: Math.round(idle), turns: state.turn })]).pipe(
          Effect.catchTag("ProxySessionConflict", () => Effect.void)
        )
        return undefined
      })

    /**
     * A proxy session has no actor to notice that its client stopped: one idle past TAU_SESSION_IDLE_TIMEOUT_MS
     * gets SessionAbandoned (appended at the version read, so a request that came meanwhile wins), which lets the
     * reward evaluator score it. Covers the sessions this process served since it started, and those the sessions
     * read model shows open and idle (left by an earlier process, or by another one sharing the database).
     */
    const abandonIdle = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      for (const [sessionId, at] of touched) {
        if (now - at < idleMs) continue
        touched.delete(sessionId)
        const again = yield* abandonIfIdle(sessionId, now)
        if (again !== undefined) touched.set(sessionId, again)
      }
      const left = yield* query.idleOpen({ before: new Date(now - idleMs), proxy: true, limit: SWEEP_PAGE })
      for (const sessionId of left) {
        if (!touched.has(sessionId)) yield* abandonIfIdle(sessionId, now)
      }
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("proxy idle sweep failed", cause)),
      Effect.annotateLogs({ service: "ProxyRecorder" })
    )
    // As the agent sessions' sweep (IdleSweep.ts), the first one after an interval: the read model's table is made
    // when the projection runner starts.
    const every = sweepInterval(abandonAfter)
    yield* Effect.forkScoped(Effect.zipRight(Effect.sleep(every), Effect.repeat(abandonIdle, Schedule.spaced(every))))

    const configured: ReadonlyArray<string> = model.models
    const resolveModel = (requested: string | undefined) =>
      requested !== undefined && configured.includes(requested) ? requested : configured[0]

    const begin = Effect.fnUntraced(function*(input: ProxyInput) {
      const { sessionId } = input
      if (Option.isSome(model.notConfigured)) return yield* Effect.fail(model.notConfigured.value)
      const modelName = ModelName.make(resolveModel(input.model) ?? "unknown")
      const view = input.freshSession === true ? emptyView(sessionId) : yield* viewOf(sessionId)
      const { state } = view
      const now = yield* Clock.currentTimeMillis
      if (state.status === "ended") {
        return yield* new SessionAlreadyEnded({ sessionId, ending: state.ending ?? "ended" })
      }
      if (state.started !== undefined && state.started.source !== "proxy") {
        return yield* new ProxySessionConflict({
          sessionId,
          reason: "not_proxy",
          detail: `this is an agent session (source ${state.started.source}); continue it without tools`
        })
      }
      if (modelCallInFlight(view, now)) {
        return yield* new ProxySessionConflict({ sessionId, reason: "busy", detail: "another request on this session is in progress" })
      }

      const fresh = newInput(input.messages, state)
      const events: Array<SessionEvent> = []
      let current = state
      const push = (event: SessionEvent) => {
        events.push(event)
        current = evolve(current, event)
      }
      if (state.status === "new") {
        push(proxyStarted({ sessionId, model: modelName, systemPrompt: systemPromptOf(input.messages), userId: input.userId }))
      }
      /** What the model is shown for each new message: the recorded (inspected) text. */
      const shown = new Map<number, string>()
      if (state.status === "awaiting_tools") {
        const durationMs = Math.max(0, now - (view.requestedAt ?? now))
        const results: Array<ToolOutcome> = []
        for (const call of state.pendingToolCalls) {
          const index = fresh.toolResults.get(call.id)
          if (index === undefined) {
            results.push({ _tag: "Failed", toolCallId: call.id, reason: "error", message: "the client sent no result for this call", durationMs })
            continue
          }
          const output = input.messages[index]!.content
          const inspected = yield* safety.inspect("tool_output", output)
          shown.set(index, inspected.action === "block" ? `Error (policy_denied): the tool output was withheld by the safety policy` : inspected.text)
          results.push({
            _tag: "Completed",
            toolCallId: call.id,
            output,
            truncated: false,
            originalBytes: Buffer.byteLength(output, "utf8"),
            durationMs,
            safety: inspected
          })
        }
        const decided = toolResultEvents(current, results, durationMs)
        if (decided._tag === "Left") return yield* new SessionStorageError({ sessionId, message: decided.left.message })
        decided.right.forEach(push)
      }
      let blocked: Inspection | undefined
      for (const index of fresh.users) {
        const inspected = yield* safety.inspect("inbound", input.messages[index]!.content)
        violation(current, "inbound", inspected).forEach(push)
        if (inspected.action === "block") {
          blocked = inspected
          break
        }
        shown.set(index, inspected.text)
        push(unchecked(UserMessageReceived, { sessionId, content: inspected.text }))
      }
      const messages = input.messages.map((m, i): ChatMessage => {
        const text = shown.get(i)
        if (text !== undefined) return { ...m, content: text }
        return m._tag === "user" || m._tag === "tool" ? { ...m, content: safety.redact(m.content) } : m
      })
      const request = makeRequest(input, messages, resolveModel(input.model))
      if (blocked === undefined) {
        push(modelRequested(current, {
          model: modelName,
          messageCount: messages.length,
          toolsOffered: input.tools.map((t) => t.name),
          params: model.requestParams(request, input.streaming)
        }))
      }
      const appended = yield* append(sessionId, view, events)
      return makeTurn({
        sessionId,
        model,
        safety,
        request,
        blocked: blocked !== undefined,
        startedAt: yield* Clock.currentTimeMillis,
        appended,
        append: (at, evs) => append(sessionId, at, evs)
      })
    })

    return { begin } as const satisfies { readonly begin: (input: ProxyInput) => Effect.Effect<ProxyTurn, ProxyBeginError> }
  })
}) {}
