/**
 * `POST /v1/chat/completions`, OpenAI-compatible. Without `tools` Tau's own agent answers (ChatAgent.ts); with
 * `tools` the request is proxied to the model and recorded (ChatProxy.ts). The session is the one named by the
 * `x-tau-session` header or the body's `user` field, else a new one; every answer (streams included) carries
 * its id in the `x-tau-session` response header.
 */
import { HttpLayerRouter, HttpServerRequest } from "@effect/platform"
import { Effect, Either, Layer, Schema } from "effect"
import { ProxyRecorder } from "../../actors/proxy/ProxyRecorder.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { newSessionId, SessionId as SessionIdSchema } from "../../domain/Ids.ts"
import { uuidv7 } from "../../domain/Uuid.ts"
import { openAiError } from "../OpenAiError.ts"
import { SessionOwners } from "../SessionOwners.ts"
import { makeAgentChat } from "./ChatAgent.ts"
import { makeProxyChat } from "./ChatProxy.ts"
import { ChatCompletionRequest, isFailure, toChatMessages } from "./ChatWire.ts"
import { decodeJsonBody } from "./Body.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureResponse, invalidRequest } from "./SendErrors.ts"

export const sessionHeader = "x-tau-session"

const isSessionId = Schema.is(SessionIdSchema)

/** The header wins over `user`; neither → a new session. */
const sessionOf = (
  header: string | undefined,
  user: string | null | undefined
): Either.Either<SessionId, OpenAiFailure> => {
  const [value, param] = header !== undefined && header.length > 0
    ? [header, sessionHeader]
    : user !== undefined && user !== null && user.length > 0
    ? [user, "user"]
    : [undefined, undefined]
  if (value === undefined) return Either.right(newSessionId())
  return isSessionId(value)
    ? Either.right(value)
    : Either.left(invalidRequest(`${param} must be a session id: 1-200 of A-Z a-z 0-9 _ . : @ -`, param))
}

const decodeBody = decodeJsonBody(ChatCompletionRequest)

export const ChatCompletionsRoute = HttpLayerRouter.use((router) =>
  Effect.gen(function*() {
    const sessions = yield* Sessions
    const model = yield* LanguageModel
    const recorder = yield* ProxyRecorder
    const owners = yield* SessionOwners
    const agent = makeAgentChat(sessions)
    const proxy = makeProxyChat(recorder)
    const configured: ReadonlyArray<string> = model.models
    const clock = yield* Effect.clock

    yield* router.add(
      "POST",
      "/v1/chat/completions",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const decoded = yield* Effect.either(decodeBody)
        if (Either.isLeft(decoded)) return failureResponse(decoded.left)
        const body = decoded.right
        const session = sessionOf(request.headers[sessionHeader], body.user)
        if (Either.isLeft(session)) return failureResponse(session.left)
        const headers = { [sessionHeader]: session.right }
        // A fresh id (no header, no `user`) has no owner to check.
        if (request.headers[sessionHeader] !== undefined || (body.user ?? undefined) !== undefined) {
          const access = yield* Effect.either(owners.checkWrite(session.right))
          if (Either.isLeft(access)) return openAiError(403, access.left.message, { code: "session_forbidden", headers })
        }
        const messages = toChatMessages(body.messages)
        if (isFailure(messages)) return failureResponse(messages, headers)
        const requested = configured.includes(body.model) ? body.model : undefined
        const input = {
          body,
          messages,
          sessionId: session.right,
          freshSession: request.headers[sessionHeader] === undefined && (body.user ?? undefined) === undefined,
          headers,
          head: {
            id: `chatcmpl-${uuidv7()}`,
            created: Math.floor(clock.unsafeCurrentTimeMillis() / 1000),
            model: requested ?? configured[0] ?? body.model
          },
          model: requested
        }
        return yield* (body.tools !== undefined && body.tools !== null && body.tools.length > 0 ? proxy(input) : agent(input))
      })
    )
  })
).pipe(Layer.provide(ProxyRecorder.Default), Layer.provide(SessionOwners.Default))
