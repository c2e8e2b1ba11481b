/**
 * Handlers of the `sessions` group: the sessions projection for reads, the `Sessions` service for messages,
 * cancel and feedback, the log for a session's events. Streamed variants answer with server-sent events.
 */
import { HttpApiBuilder } from "@effect/platform"
import { Duration, Effect, Option, Schema, Stream } from "effect"
import { SessionNotFound, SessionStorageError } from "../../actors/session/Errors.ts"
import type { SessionProgress, SessionReply } from "../../actors/session/Progress.ts"
import { Sessions } from "../../actors/session/Sessions.ts"
import type { SendOptions } from "../../actors/session/Start.ts"
import type { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { encodeEvent } from "../../events/Codec.ts"
import { EventLog } from "../../events/EventLog.ts"
import { sessionStream } from "../../events/Streams.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { SessionsProjection } from "../../projections/SessionsProjection.ts"
import { SessionsQuery } from "../../projections/SessionsQuery.ts"
import { TauApi } from "../Api.ts"
import { ModelUnavailable } from "../ApiErrors.ts"
import { currentCaller } from "../Caller.ts"
import { recordedToJson } from "../events/Wire.ts"
import { SessionOwners } from "../SessionOwners.ts"
import * as Sse from "../Sse.ts"
import type { StartSession } from "./Api.ts"
import { SessionEventsPage, SessionPage, SessionReplyJson } from "./Api.ts"

const unavailable = (e: ModelNotConfigured) => new ModelUnavailable({ message: e.message })

const replyJson = (r: SessionReply) => new SessionReplyJson(r)
const encodeReply = Schema.encodeSync(SessionReplyJson)

/** How long a read of one session waits for the sessions projection to catch up with the session's stream. */
const projectionWait = Duration.seconds(2)

const progressMessage = (p: SessionProgress): string => {
  switch (p._tag) {
    case "Event": {
      const encoded = encodeEvent(p.event)
      return Sse.message({
        event: "event",
        data: `{"position":${p.position},"streamVersion":${p.streamVersion},"type":${JSON.stringify(encoded.type)},` +
          `"schemaVersion":${encoded.schemaVersion},"data":${encoded.data}}`
      })
    }
    case "TextDelta":
      return Sse.message({ event: "delta", data: JSON.stringify({ turn: p.turn, text: p.text }) })
    case "Finished":
      return Sse.message({ event: "reply", data: JSON.stringify(encodeReply(replyJson(p.reply))) })
  }
}

export const SessionsHttpLive = HttpApiBuilder.group(TauApi, "sessions", (handlers) =>
  Effect.gen(function*() {
    const sessions = yield* Sessions
    const query = yield* SessionsQuery
    const log = yield* EventLog
    const runner = yield* ProjectionRunner
    const model = yield* LanguageModel
    const { heartbeat } = yield* Sse.SseConfig
    const owners = yield* SessionOwners

    const requireModel = Option.match(model.notConfigured, {
      onNone: () => Effect.void,
      onSome: (e) => Effect.fail(unavailable(e))
    })

    const requireSession = (sessionId: SessionId) =>
      log.streamVersion(sessionStream(sessionId)).pipe(
        Effect.mapError((e) => new SessionStorageError({ sessionId, message: e.message })),
        Effect.filterOrFail((version) => version > 0, () => new SessionNotFound({ sessionId }))
      )

    const startOptions = (payload: typeof StartSession.Type) =>
      Effect.map(currentCaller, (caller): SendOptions => ({
        source: "http",
        mode: payload.mode,
        // As on the OpenAI routes: with a key the user is the key; `userId` counts only with auth off.
        userId: caller.keyId ?? payload.userId,
        maxTurns: payload.maxTurns,
        budgetUsd: payload.budgetUsd,
        model: payload.model
      }))

    /** Streams progress as SSE; a failure after the response started becomes an `error` message. */
    const sse = (progress: Stream.Stream<SessionProgress, { readonly _tag: string; readonly message: string }>) =>
      Sse.response(
        progress.pipe(
          Stream.map(progressMessage),
          Stream.catchAll((e) =>
            Stream.make(Sse.message({ event: "error", data: JSON.stringify({ _tag: e._tag, message: e.message }) }))
          )
        ),
        heartbeat
      )

    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.gen(function*() {
          const limit = urlParams.limit ?? 50
          const offset = urlParams.offset ?? 0
          const rows = yield* query.list({
            status: urlParams.status,
            source: urlParams.source,
            mode: urlParams.mode,
            userId: urlParams.user,
            since: urlParams.since,
            until: urlParams.until,
            limit,
            offset
          })
          return new SessionPage({ sessions: rows, limit, offset, nextOffset: rows.length === limit ? offset + limit : null })
        }))
      .handle("get", ({ path }) =>
        Effect.gen(function*() {
          const row = yield* query.get(path.id)
          if (Option.isSome(row)) return row.value
          // Not projected yet (read right after a write)? Wait briefly for the projection to reach the stream.
          const events = yield* log.readStreamRaw(sessionStream(path.id)).pipe(Effect.orDie)
          const last = events.at(-1)
          if (last === undefined) return yield* new SessionNotFound({ sessionId: path.id })
          yield* runner.waitFor(last.position, SessionsProjection.name).pipe(
            Effect.timeout(projectionWait),
            Effect.ignore
          )
          return yield* query.get(path.id).pipe(
            Effect.flatMap(Option.match({
              onNone: () => new SessionNotFound({ sessionId: path.id }),
              onSome: Effect.succeed
            }))
          )
        }))
      .handle("events", ({ path, urlParams }) =>
        Effect.gen(function*() {
          const from = urlParams.from ?? 1
          const limit = urlParams.limit ?? 1000
          const rows = yield* log.readStreamRaw(sessionStream(path.id), from).pipe(
            Effect.mapError((e) => new SessionStorageError({ sessionId: path.id, message: e.message }))
          )
          if (rows.length === 0 && from <= 1) return yield* new SessionNotFound({ sessionId: path.id })
          const page = rows.slice(0, limit)
          const last = page.at(-1)
          return new SessionEventsPage({
            events: page.map(recordedToJson),
            nextVersion: rows.length > limit && last !== undefined ? last.streamVersion + 1 : null
          })
        }))
      .handle("start", ({ payload }) =>
        Effect.gen(function*() {
          yield* requireModel
          const reply = yield* sessions.ask(payload.message, yield* startOptions(payload))
          return replyJson(reply)
        }).pipe(Effect.catchTag("ModelNotConfigured", (e) => Effect.fail(unavailable(e)))))
      .handle("startStream", ({ payload }) =>
        Effect.gen(function*() {
          yield* requireModel
          return sse(sessions.send(payload.message, yield* startOptions(payload)))
        }))
      .handle("send", ({ path, payload }) =>
        Effect.gen(function*() {
          yield* requireModel
          yield* requireSession(path.id)
          yield* owners.checkWrite(path.id)
          return replyJson(yield* sessions.ask(payload.message, { sessionId: path.id }))
        }).pipe(Effect.catchTag("ModelNotConfigured", (e) => Effect.fail(unavailable(e)))))
      .handle("sendStream", ({ path, payload }) =>
        Effect.gen(function*() {
          yield* requireModel
          yield* requireSession(path.id).pipe(Effect.catchTag("SessionStorageError", Effect.die))
          yield* owners.checkWrite(path.id)
          return sse(sessions.send(payload.message, { sessionId: path.id }))
        }))
      .handle("cancel", ({ path }) =>
        owners.checkWrite(path.id).pipe(
          Effect.zipRight(sessions.cancel(path.id, "user")),Effect.map(replyJson), Effect.catchTag("ModelNotConfigured", Effect.die)))
      .handle("feedback", ({ path, payload }) =>
        Effect.map(
          Effect.zipRight(
            owners.checkWrite(path.id),
            sessions.feedback(path.id, { rating: payload.rating, comment: payload.comment, turn: payload.turn, source: "http" })
          ),
          replyJson
        ).pipe(Effect.catchTag("ModelNotConfigured", Effect.die)))
  }))
