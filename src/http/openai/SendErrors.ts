/**
 * How the OpenAI-compatible routes answer when a message to Tau's agent does not produce a reply: the
 * Sessions service's errors (SendError), an outcome without a reply (model failure, inbound safety block),
 * and invalid request bodies, each as an `OpenAiFailure` (status, message, code, param). A failure becomes a
 * JSON response in OpenAI's error shape (`failureResponse`) or, once a stream has started, an error event.
 */
import type { HttpServerResponse } from "@effect/platform"
import { ParseResult } from "effect"
import type { SendError } from "../../actors/session/Host.ts"
import type { SessionReply } from "../../actors/session/Progress.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { OpenAiErrorType } from "../OpenAiError.ts"
import { openAiError, openAiErrorBody } from "../OpenAiError.ts"

export interface OpenAiFailure {
  readonly status: number
  readonly message: string
  readonly code: string
  readonly param?: string | undefined
  readonly type?: OpenAiErrorType
}

/** A JSON response in OpenAI's error shape. */
export const failureResponse = (
  failure: OpenAiFailure,
  headers?: Readonly<Record<string, string>>
): HttpServerResponse.HttpServerResponse =>
  openAiError(failure.status, failure.message, {
    code: failure.code,
    param: failure.param,
    ...(failure.type === undefined ? {} : { type: failure.type }),
    ...(headers === undefined ? {} : { headers })
  })

/** The `{ error: {...} }` body of a failure, for an SSE error event. */
export const failureBody = (failure: OpenAiFailure) =>
  openAiErrorBody(failure.status, failure.message, {
    code: failure.code,
    param: failure.param,
    ...(failure.type === undefined ? {} : { type: failure.type })
  })

export const invalidRequest = (message: string, param?: string): OpenAiFailure => ({
  status: 400,
  message,
  code: "invalid_request",
  param
})

export const failureOfSendError = (error: SendError): OpenAiFailure => {
  switch (error._tag) {
    case "ModelNotConfigured":
      return {
        status: 503,
        message: `${error.message} See docs/models.md.`,
        code: "model_not_configured",
        type: "server_error"
      }
    case "SessionNotFound":
      return { status: 404, message: error.message, code: "session_not_found" }
    case "SessionAlreadyEnded":
      return { status: 409, message: error.message, code: "session_ended" }
    case "InvalidSessionCommand":
      return { status: 409, message: error.message, code: "session_busy" }
    case "SessionWriterConflict":
      return { status: 409, message: error.message, code: "session_conflict" }
    case "SessionStorageError":
      return { status: 500, message: `session ${error.sessionId}: ${error.message}`, code: "storage_error" }
  }
}

export const sendErrorResponse = (error: SendError, headers?: Readonly<Record<string, string>>) =>
  failureResponse(failureOfSendError(error), headers)

const lastOf = <T extends SessionEvent["_tag"]>(
  events: ReadonlyArray<SessionEvent>,
  tag: T
): Extract<SessionEvent, { readonly _tag: T }> | undefined => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!
    if (event._tag === tag) return event as Extract<SessionEvent, { readonly _tag: T }>
  }
  return undefined
}

/**
 * Why a finished request has no reply to return, or undefined when it has one. `events` are the session
 * events appended for this request (the `Event` progress items): they say which model failure ended it.
 */
export const failureOfReply = (reply: SessionReply, events: ReadonlyArray<SessionEvent>): OpenAiFailure | undefined => {
  if (reply.reply !== undefined) return undefined
  if (reply.inboundBlocked) {
    return { status: 400, message: "the message was blocked by the safety policy", code: "content_blocked" }
  }
  const failed = lastOf(events, "SessionFailed")
  if (failed !== undefined) {
    if (failed.reason === "model_error") {
      const kind = lastOf(events, "ModelCallFailed")?.kind ?? "unknown"
      if (kind === "not_configured") {
        return { status: 503, message: `${failed.message} See docs/models.md.`, code: "model_not_configured", type: "server_error" }
      }
      return {
        status: kind === "timeout" ? 504 : 502,
        message: `the model failed (${kind}): ${failed.message}`,
        code: kind === "timeout" ? "upstream_timeout" : "upstream_error",
        type: "server_error"
      }
    }
    if (failed.reason === "safety_block") return { status: 400, message: failed.message, code: "content_blocked" }
    return { status: 500, message: failed.message, code: failed.reason }
  }
  const cancelled = events.some((e) => e._tag === "SessionCancelled")
  if (cancelled) return { status: 409, message: "the session's turn was cancelled", code: "session_cancelled" }
  return {
    status: 500,
    message: `the session ended without a reply (${reply.ending ?? reply.status})`,
    code: "no_reply"
  }
}

/** A Schema decoding failure of a request body as a 400 naming the first offending field (`input[0].content`). */
export const failureOfParseError = (error: ParseResult.ParseError): OpenAiFailure => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return invalidRequest(error.message)
  const param = issue.path.reduce<string>(
    (acc, key) => typeof key === "number" ? `${acc}[${key}]` : acc.length === 0 ? String(key) : `${acc}.${String(key)}`,
    ""
  )
  return invalidRequest(param.length === 0 ? issue.message : `${param}: ${issue.message}`, param.length === 0 ? undefined : param)
}
