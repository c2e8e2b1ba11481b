/**
 * Chat Completions with `tools`: recording proxy mode. The model answers the client's own messages and tools
 * through the ProxyRecorder, which records every call in the session's stream; tool calls go back to the
 * client (`finish_reason: "tool_calls"`), and its next request with `tool` messages continues the same session.
 */
import type { HttpServerResponse } from "@effect/platform"
import { HttpServerResponse as Response } from "@effect/platform"
import { Effect, Either } from "effect"
import type { Scope } from "effect"
import type { ProxyBeginError, ProxyRecorder } from "../../actors/proxy/ProxyRecorder.ts"
import type { ProxyCallError, ProxyDelta } from "../../actors/proxy/ProxyTurn.ts"
import { currentCaller } from "../Caller.ts"
import type { ChatInput } from "./ChatAgent.ts"
import { chunkMaker, completionBody, samplingOf, toToolChoice, toToolSpecs } from "./ChatWire.ts"
import { framesOf, startStream } from "./ChatStreaming.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureBody, failureOfSendError, failureResponse } from "./SendErrors.ts"
import { dataFrame, doneFrame, sseResponse } from "./Sse.ts"

export const failureOfProxyError = (error: ProxyBeginError | ProxyCallError): OpenAiFailure => {
  switch (error._tag) {
    case "ProxySessionConflict":
      return {
        status: 409,
        message: error.message,
        code: error.reason === "busy" ? "session_busy" : error.reason === "not_proxy" ? "session_mode" : "session_conflict"
      }
    case "ProxyModelFailed":
      switch (error.kind) {
        case "timeout":
          return { status: 504, message: `the model timed out: ${error.message}`, code: "upstream_timeout", type: "server_error" }
        case "rate_limited":
          return { status: 429, message: `the model is rate limited: ${error.message}`, code: "upstream_rate_limited" }
        case "bad_request":
        case "context_length":
          return { status: 400, message: `the model rejected the request: ${error.message}`, code: error.kind }
        default:
          return {
            status: 502,
            message: `the model failed (${error.kind}): ${error.message}`,
            code: "upstream_error",
            type: "server_error"
          }
      }
    default:
      return failureOfSendError(error)
  }
}

const blockedFailure: OpenAiFailure = {
  status: 400,
  message: "the message was blocked by the safety policy",
  code: "content_blocked"
}

export const makeProxyChat = (recorder: ProxyRecorder) =>
(input: ChatInput): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { body, headers } = input
    const caller = yield* currentCaller
    const streaming = body.stream === true
    const begun = yield* Effect.either(recorder.begin({
      sessionId: input.sessionId,
      messages: input.messages,
      tools: toToolSpecs(body.tools ?? []),
      toolChoice: toToolChoice(body.tool_choice),
      sampling: samplingOf(body),
      model: input.model,
      userId: caller.keyId,
      streaming,
      freshSession: input.freshSession
    }))
    if (Either.isLeft(begun)) return failureResponse(failureOfProxyError(begun.left), headers)
    const turn = begun.right
    if (turn.blocked) return failureResponse(blockedFailure, headers)

    if (!streaming) {
      const done = yield* Effect.either(turn.complete)
      if (Either.isLeft(done)) return failureResponse(failureOfProxyError(done.left), headers)
      const reply = done.right
      return Response.unsafeJson(completionBody({ ...input.head, model: reply.model }, reply), { headers })
    }

    const started = yield* startStream(turn.stream)
    if (started._tag === "Failed") return failureResponse(failureOfProxyError(started.error), headers)
    const includeUsage = body.stream_options?.include_usage === true
    const chunks = chunkMaker(input.head, includeUsage)
    const step = (delta: ProxyDelta): ReadonlyArray<string> => {
      switch (delta._tag) {
        case "TextDelta":
          return delta.text.length === 0 ? [] : [dataFrame(chunks.delta({ content: delta.text }))]
        case "ToolCallDelta":
          return [dataFrame(chunks.delta({
            tool_calls: [{
              index: delta.index,
              ...(delta.id !== undefined ? { id: delta.id, type: "function" } : {}),
              function: { ...(delta.name !== undefined ? { name: delta.name } : {}), arguments: delta.arguments }
            }]
          }))]
        case "Replied":
          return [
            dataFrame(chunks.delta({}, delta.reply.finishReason)),
            ...(includeUsage ? [dataFrame(chunks.usage(delta.reply.usage))] : []),
            doneFrame
          ]
      }
    }
    const frames = framesOf(
      started,
      [dataFrame(chunks.delta({ role: "assistant", content: "" }))],
      step,
      (error: ProxyCallError) => dataFrame(failureBody(failureOfProxyError(error)))
    )
    return sseResponse(frames, { headers })
  })
