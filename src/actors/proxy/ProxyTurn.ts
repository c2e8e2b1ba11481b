/**
 * One recorded model call of a proxy session, after `ProxyRecorder.begin` claimed the session: call the model
 * (whole or streamed), then append ModelResponded and what follows it (the client's tool calls, or the reply
 * and TurnCompleted) — or ModelCallFailed for each failed attempt — at the version `begin` left. A call the
 * client walks away from is recorded as failed, so the session does not stay claimed.
 */
import { Clock, Effect, Stream } from "effect"
import type { LanguageModelError } from "../../agent/llm/Errors.ts"
import type { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { AttemptFailure, ChatMessage, ModelResponse, StreamDelta } from "../../agent/llm/Types.ts"
import { ModelRequest } from "../../agent/llm/Types.ts"
import type { Safety } from "../../agent/safety/Safety.ts"
import type { ModelName, SessionId } from "../../domain/Ids.ts"
import type { ToolCall, Usage } from "../../domain/ModelCall.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { AttemptRecord } from "../session/Commands.ts"
import { allowed } from "../session/Commands.ts"
import { modelFailed } from "../session/DecideSupport.ts"
import { SessionStorageError } from "../session/Errors.ts"
import { attemptOf, finalAttempt } from "../session/Loop.ts"
import type { ProxyView } from "./ProxyView.ts"
import type { ProxySessionConflict } from "./Errors.ts"
import { ProxyModelFailed } from "./Errors.ts"
import type { ProxyInput } from "./ProxyRecorder.ts"
import { responseEvents } from "./ProxyPlan.ts"

export interface ProxyReply {
  readonly sessionId: SessionId
  /** The model that answered. */
  readonly model: ModelName
  /** For a final answer, the recorded reply (redacted, or the withheld notice); with tool calls, the model's text. */
  readonly content: string
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finishReason: "stop" | "length" | "tool_calls" | "content_filter"
  readonly usage: Usage
}

export type ProxyDelta =
  | Exclude<StreamDelta, { readonly _tag: "Completed" }>
  | { readonly _tag: "Replied"; readonly reply: ProxyReply }

export type ProxyCallError = ProxyModelFailed | ProxySessionConflict | SessionStorageError

export interface ProxyTurn {
  readonly sessionId: SessionId
  /** The inbound stage blocked a new user message: it was recorded as a violation and the model is not called. */
  readonly blocked: boolean
  readonly complete: Effect.Effect<ProxyReply, ProxyCallError>
  readonly stream: Stream.Stream<ProxyDelta, ProxyCallError>
}

export interface Appended {
  readonly events: ReadonlyArray<SessionEvent>
  readonly view: ProxyView
}

/** The request sent to the model (already validated at the edge, so the class's own check is skipped). */
export const makeRequest = (input: ProxyInput, messages: ReadonlyArray<ChatMessage>, model: string | undefined) =>
  unchecked(ModelRequest, {
    messages,
    tools: input.tools,
    ...(input.toolChoice !== undefined ? { toolChoice: input.toolChoice } : {}),
    ...input.sampling,
    ...(model !== undefined ? { model: model as ModelName } : {})
  })

export const makeTurn = (deps: {
  readonly sessionId: SessionId
  readonly model: LanguageModel
  readonly safety: Safety
  readonly request: ModelRequest
  readonly blocked: boolean
  readonly startedAt: number
  readonly appended: Appended
  readonly append: (
    view: ProxyView,
    events: ReadonlyArray<SessionEvent>
  ) => Effect.Effect<Appended, ProxySessionConflict | SessionStorageError>
}): ProxyTurn => {
  const { sessionId } = deps
  let last = deps.appended
  let settled = false
  const failures: Array<AttemptRecord> = []
  const modelName = deps.request.model ?? deps.model.models[0] ?? "unknown"
  const options = {
    onAttemptFailed: (failure: AttemptFailure) => Effect.sync(() => void failures.push(attemptOf(failure)))
  }

  const record = (events: ReadonlyArray<SessionEvent>) =>
    Effect.map(deps.append(last.view, events), (appended) => {
      last = appended
      settled = true
      return appended
    })

  const recordResponse = (response: ModelResponse) =>
    Effect.gen(function*() {
      const outbound = response.toolCalls.length === 0 && response.content.length > 0
        ? yield* deps.safety.inspect("outbound", response.content)
        : allowed(response.content)
      const durationMs = (yield* Clock.currentTimeMillis) - deps.startedAt
      const decided = responseEvents(last.view.state, { response, failures, outbound, durationMs })
      if (decided._tag === "Left") return yield* new SessionStorageError({ sessionId, message: decided.left.message })
      const { events } = yield* record(decided.right)
      const replied = events.find((e) => e._tag === "AssistantReplied")
      return {
        sessionId,
        model: response.model,
        content: replied?._tag === "AssistantReplied" ? replied.content : response.content,
        toolCalls: response.toolCalls,
        finishReason: replied?._tag === "AssistantReplied" && replied.stopReason === "blocked"
          ? "content_filter"
          : response.toolCalls.length > 0
          ? "tool_calls"
          : response.finishReason === "length" || response.finishReason === "content_filter"
          ? response.finishReason
          : "stop",
        usage: response.usage
      } satisfies ProxyReply
    })

  const recordFailure = (error: LanguageModelError) =>
    Effect.gen(function*() {
      const final = finalAttempt(error, modelName, failures)
      const reported = failures.some((f) => f.attempt === final.attempt && !f.retrying)
      const all = reported ? failures : [...failures, final]
      yield* record(all.map((f) => modelFailed(last.view.state, f)))
      return yield* new ProxyModelFailed({
        sessionId,
        kind: final.kind,
        message: final.message,
        ...(final.status !== undefined ? { status: final.status } : {}),
        ...(final.retryAfterMs !== undefined ? { retryAfterMs: final.retryAfterMs } : {})
      })
    })

  const abandon = Effect.suspend(() =>
    settled ? Effect.void : record([
      modelFailed(last.view.state, {
        model: modelName,
        attempt: failures.length + 1,
        kind: "unknown",
        message: "the client went away before the model answered",
        retrying: false
      })
    ]).pipe(Effect.asVoid, Effect.catchAllCause((cause) => Effect.logWarning("could not record an abandoned proxy call", cause)))
  )

  const complete = deps.model.complete(deps.request, options).pipe(
    Effect.matchEffect({ onFailure: recordFailure, onSuccess: recordResponse }),
    Effect.onInterrupt(() => abandon)
  )

  // Built when run: most turns are only `complete`d.
  const stream: Stream.Stream<ProxyDelta, ProxyCallError> = Stream.suspend(() => deps.model.stream(deps.request, options)).pipe(
    Stream.catchAll((error) => Stream.fromEffect(recordFailure(error))),
    Stream.mapEffect((delta): Effect.Effect<ProxyDelta, ProxyCallError> =>
      delta._tag === "Completed"
        ? Effect.map(recordResponse(delta.response), (reply) => ({ _tag: "Replied", reply }) as const)
        : Effect.succeed(delta)
    ),
    Stream.ensuring(abandon)
  )

  return { sessionId, blocked: deps.blocked, complete, stream }
}
