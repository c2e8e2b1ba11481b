/**
 * `POST /v1/responses`: OpenAI's Responses API answered by Tau's own agent (the Sessions service, source
 * "http"). A response id names its session, so `previous_response_id` continues it. `stream: true` sends the
 * Responses event sequence (response.created … response.completed) the openai SDK's stream helper reads.
 * Failures before anything was streamed get their HTTP status (OpenAI error shape); later ones end the
 * stream with `response.failed`.
 */
import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Clock, Config, Duration, Effect, Either, Layer, Option, Stream } from "effect"
import type { Chunk, Scope } from "effect"
import type { SendError } from "../../actors/session/Host.ts"
import type { SessionProgress, SessionReply } from "../../actors/session/Progress.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import { newSessionId } from "../../domain/Ids.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { EventLog } from "../../events/EventLog.ts"
import { sessionStream } from "../../events/Streams.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import { currentCaller } from "../Caller.ts"
import { SessionOwners } from "../SessionOwners.ts"
import { decodeJsonBody } from "./Body.ts"
import { answeredBy, ResponsesRequest, messageOf, responseId, responseObject, sessionOfResponseId, usageOf } from "./ResponsesApi.ts"
import type { ResponseHead } from "./ResponsesApi.ts"
import { streamResponse } from "./ResponsesStream.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureOfReply, failureOfSendError, failureResponse } from "./SendErrors.ts"

const firstVersion = (progress: Chunk.Chunk<SessionProgress>): number | undefined => {
  for (const p of progress) if (p._tag === "Event") return p.streamVersion
  return undefined
}

const fail = (failure: OpenAiFailure) => Effect.fail(failure)

const decodeBody = decodeJsonBody(ResponsesRequest)

export const handleResponses = (heartbeat: Duration.Duration) => Effect.gen(function*() {
  const body = yield* decodeBody
  const message = messageOf(body)
  if (typeof message !== "string") return yield* fail(message)
  const sessions = yield* Sessions
  const model = yield* LanguageModel
  if (Option.isSome(model.notConfigured)) return yield* fail(failureOfSendError(model.notConfigured.value))
  const models: ReadonlyArray<string> = model.models
  // Clients hard-code model names (gpt-4o…): a name Tau is not configured for is answered by the primary model.
  const chosen = body.model !== undefined && models.includes(body.model) ? body.model : undefined

  let sessionId: SessionId
  if (body.previous_response_id == null) {
    sessionId = newSessionId()
  } else {
    const previous = sessionOfResponseId(body.previous_response_id)
    const unknown: OpenAiFailure = {
      status: 404,
      message: `Previous response with id '${body.previous_response_id}' not found.`,
      code: "previous_response_not_found",
      param: "previous_response_id"
    }
    if (Option.isNone(previous)) return yield* fail(unknown)
    const version = yield* (yield* EventLog).streamVersion(sessionStream(previous.value.sessionId)).pipe(
      Effect.mapError((e): OpenAiFailure => ({ status: 500, message: e.message, code: "storage_error" }))
    )
    if (version === 0 || version < previous.value.version) return yield* fail(unknown)
    sessionId = previous.value.sessionId
    yield* (yield* SessionOwners).checkWrite(sessionId).pipe(
      Effect.mapError((e): OpenAiFailure => ({
        status: 403,
        message: e.message,
        code: "session_forbidden",
        param: "previous_response_id"
      }))
    )
  }

  const caller = yield* currentCaller
  const user = body.user ?? undefined
  const userId = caller.keyId ?? user
  const progress = sessions.send(message, {
    sessionId,
    freshSession: body.previous_response_id == null,
    source: "http",
    userId,
    streamModel: body.stream === true,
    ...(chosen === undefined ? {} : { model: chosen })
  })
  const headers = { "x-tau-session": sessionId }
  const head = (version: number, createdAt: number): ResponseHead => ({
    id: responseId(sessionId, version),
    createdAt,
    model: chosen ?? models[0] ?? "tau",
    instructions: body.instructions ?? null,
    previousResponseId: body.previous_response_id ?? null,
    user: user ?? null,
    metadata: body.metadata ?? {}
  })
  const createdAt = Math.floor((yield* Clock.currentTimeMillis) / 1000)

  if (body.stream === true) {
    return yield* streamed(progress, (version) => head(version, createdAt), headers, heartbeat)
  }
  const events: Array<SessionEvent> = []
  let version: number | undefined
  const reply = yield* Stream.runFold(progress, Option.none<SessionReply>(), (last, p) => {
    if (p._tag === "Event") {
      version ??= p.streamVersion
      events.push(p.event)
    }
    return p._tag === "Finished" ? Option.some(p.reply) : last
  }).pipe(Effect.mapError((e) => ({ ...failureOfSendError(e), headers })))
  if (Option.isNone(reply)) return yield* fail({ status: 500, message: "the session ended without a reply", code: "no_reply" })
  const failure = failureOfReply(reply.value, events)
  if (failure !== undefined) return failureResponse(failure, headers)
  const finished = { ...head(version ?? 0, createdAt), model: answeredBy(events, head(0, createdAt).model) }
  return HttpServerResponse.unsafeJson(
    responseObject(finished, { status: "completed", text: reply.value.reply!.content, usage: usageOf(events) }),
    { headers }
  )
}).pipe(
  Effect.catchAll((failure: OpenAiFailure & { readonly headers?: Record<string, string> }) =>
    Effect.succeed(failureResponse(failure, failure.headers))
  )
)

/** Pulls the first progress before answering, so errors that come first (no model, ended session) keep their status. */
const streamed = (
  progress: Stream.Stream<SessionProgress, SendError>,
  headOf: (version: number) => ResponseHead,
  headers: Record<string, string>,
  heartbeat: Duration.Duration
): Effect.Effect<HttpServerResponse.HttpServerResponse, OpenAiFailure & { readonly headers?: Record<string, string> }, Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(progress)
    const first = yield* Effect.either(pull)
    if (Either.isLeft(first)) {
      return Option.isSome(first.left)
        ? yield* Effect.fail({ ...failureOfSendError(first.left.value), headers })
        : yield* Effect.fail({ status: 500, message: "the session ended without a reply", code: "no_reply", headers })
    }
    const rest = Stream.concat(Stream.fromChunk(first.right), Stream.repeatEffectChunkOption(pull))
    return streamResponse(rest, headOf(firstVersion(first.right) ?? 0), headers, heartbeat)
  })

/** TAU_SSE_HEARTBEAT (default 15 s): the comment line kept flowing while the agent works without text. */
export const ResponsesRoute = HttpLayerRouter.use((router) =>
  Effect.flatMap(
    Config.duration("TAU_SSE_HEARTBEAT").pipe(Config.withDefault(Duration.seconds(15))),
    (heartbeat) =>
      Effect.flatMap(SessionOwners, (owners) =>
        router.add("POST", "/v1/responses", Effect.provideService(handleResponses(heartbeat), SessionOwners, owners)))
  )
).pipe(Layer.provide(SessionOwners.Default))
