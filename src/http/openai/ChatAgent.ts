/**
 * Chat Completions without `tools`: Tau's own agent answers. The request's latest user message is sent to the
 * session (its history lives in the log), the agent loop runs with Tau's server-side tools, and the reply comes
 * back whole or as `chat.completion.chunk` events (text deltas as the model streams them).
 */
import type { HttpServerResponse } from "@effect/platform"
import { Effect, Either } from "effect"
import type { Scope } from "effect"
import type { SessionProgress, SessionReply } from "../../actors/session/Progress.ts"
import type { Sessions } from "../../actors/session/Sessions.ts"
import type { ChatMessage } from "../../agent/llm/Types.ts"
import type { SessionId } from "../../domain/Ids.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import { currentCaller } from "../Caller.ts"
import type { ChatCompletionRequest, CompletionHead, WireFinishReason } from "./ChatWire.ts"
import { chunkMaker, completionBody } from "./ChatWire.ts"
import { framesOf, startStream } from "./ChatStreaming.ts"
import { failureBody, failureOfReply, failureOfSendError, failureResponse, invalidRequest, sendErrorResponse } from "./SendErrors.ts"
import { dataFrame, doneFrame, sseResponse } from "./Sse.ts"
import { HttpServerResponse as Response } from "@effect/platform"

export interface ChatInput {
  readonly body: ChatCompletionRequest
  readonly messages: ReadonlyArray<ChatMessage>
  readonly sessionId: SessionId
  /** `sessionId` was made for this request (no header, no `user`). */
  readonly freshSession: boolean
  readonly headers: Readonly<Record<string, string>>
  readonly head: CompletionHead
  /** The client's model name when it is a configured one. */
  readonly model: string | undefined
}

const finishOf = (stopReason: NonNullable<SessionReply["reply"]>["stopReason"]): WireFinishReason =>
  stopReason === "final_answer" ? "stop" : stopReason === "blocked" ? "content_filter" : "length"

/** Usage and answering model of this request's model calls. */
const tally = () => {
  let promptTokens = 0
  let completionTokens = 0
  let model: string | undefined
  return {
    add: (event: SessionEvent) => {
      if (event._tag !== "ModelResponded") return
      promptTokens += event.usage.promptTokens
      completionTokens += event.usage.completionTokens
      model = event.model
    },
    usage: () => ({ promptTokens, completionTokens }),
    model: () => model
  }
}

export const makeAgentChat = (sessions: Sessions) =>
(input: ChatInput): Effect.Effect<HttpServerResponse.HttpServerResponse, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { body, headers, messages } = input
    const last = messages.at(-1)
    if (last === undefined || last._tag !== "user") {
      const failure = invalidRequest(
        "without tools the last message must be a user message (send `tools` to continue with tool results)",
        `messages[${messages.length - 1}].role`
      )
      return failureResponse(failure, headers)
    }
    const caller = yield* currentCaller
    const options = {
      sessionId: input.sessionId,
      freshSession: input.freshSession,
      source: "http",
      streamModel: body.stream === true,
      ...(caller.keyId !== undefined ? { userId: caller.keyId } : {}),
      ...(input.model !== undefined ? { model: input.model } : {})
    } as const
    const counts = tally()

    if (body.stream !== true) {
      const events: Array<SessionEvent> = []
      const ran = yield* Effect.either(sessions.ask(last.content, options, (p) => {
        if (p._tag === "Event") {
          events.push(p.event)
          counts.add(p.event)
        }
      }))
      if (Either.isLeft(ran)) return sendErrorResponse(ran.left, headers)
      const reply = ran.right
      const failure = failureOfReply(reply, events)
      if (failure !== undefined || reply.reply === undefined) {
        return failureResponse(failure ?? invalidRequest("no reply"), headers)
      }
      return Response.unsafeJson(
        completionBody({ ...input.head, model: counts.model() ?? input.head.model }, {
          content: reply.reply.content,
          toolCalls: [],
          finishReason: finishOf(reply.reply.stopReason),
          usage: counts.usage()
        }),
        { headers }
      )
    }

    const started = yield* startStream(sessions.send(last.content, options))
    if (started._tag === "Failed") return sendErrorResponse(started.error, headers)
    const includeUsage = body.stream_options?.include_usage === true
    const chunks = chunkMaker(input.head, includeUsage)
    const events: Array<SessionEvent> = []
    const streamed = new Map<number, number>()
    const step = (p: SessionProgress): ReadonlyArray<string> => {
      switch (p._tag) {
        case "TextDelta":
          streamed.set(p.turn, (streamed.get(p.turn) ?? 0) + p.text.length)
          return [dataFrame(chunks.delta({ content: p.text }))]
        case "Event":
          events.push(p.event)
          counts.add(p.event)
          // Not streamed (TAU_SESSION_STREAM=false, or a notice such as max turns): the reply comes in one piece.
          return p.event._tag === "AssistantReplied" && (streamed.get(p.event.turn) ?? 0) === 0
            ? [dataFrame(chunks.delta({ content: p.event.content }))]
            : []
        case "Finished": {
          const failure = failureOfReply(p.reply, events)
          if (failure !== undefined || p.reply.reply === undefined) {
            return [dataFrame(failureBody(failure ?? invalidRequest("no reply")))]
          }
          return [
            dataFrame(chunks.delta({}, finishOf(p.reply.reply.stopReason))),
            ...(includeUsage ? [dataFrame(chunks.usage(counts.usage()))] : []),
            doneFrame
          ]
        }
      }
    }
    const frames = framesOf(
      started,
      [dataFrame(chunks.delta({ role: "assistant", content: "" }))],
      step,
      (error) => dataFrame(failureBody(failureOfSendError(error)))
    )
    return sseResponse(frames, { headers })
  })
