/**
 * The messages between the event loop and the model thread (ModelThread.ts), and how an SDK failure crosses
 * between them: structured clone keeps no class, so the thread sends what classifies a failure and this side
 * makes the same `openai` error class again for `toLlmError`.
 */
import type OpenAI from "openai"
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai"

export type WireTools = NonNullable<OpenAI.ChatCompletionCreateParamsNonStreaming["tools"]>

/**
 * A call's tool list by reference (ToolListRefs.ts): `define` sends the list once under `id` (the thread keeps
 * it), later calls send only the id; `forget` drops the list the thread has kept longest.
 */
export interface ToolsRef {
  readonly id: number
  readonly define?: WireTools
  readonly forget?: number
}

export type ToThread =
  | {
    readonly _tag: "Call"
    readonly id: number
    readonly body: OpenAI.ChatCompletionCreateParamsNonStreaming
    readonly tools?: ToolsRef
  }
  | {
    readonly _tag: "Stream"
    readonly id: number
    readonly body: OpenAI.ChatCompletionCreateParamsStreaming
    readonly tools?: ToolsRef
  }
  | { readonly _tag: "Abort"; readonly id: number }

export type SentFailure =
  | {
    readonly kind: "api"
    readonly status: number | undefined
    readonly error: unknown
    readonly message: string
    readonly headers: ReadonlyArray<readonly [string, string]> | undefined
  }
  | { readonly kind: "timeout" | "connection" | "syntax" | "type" | "other"; readonly message: string }

export type FromThread =
  | { readonly _tag: "Ready" }
  | { readonly _tag: "Completed"; readonly id: number; readonly completion: OpenAI.ChatCompletion }
  /** A stream's response has arrived (its chunks follow). */
  | { readonly _tag: "Opened"; readonly id: number }
  /** A stream's chunks parsed since the last message; `end`: the stream is over. */
  | { readonly _tag: "Chunks"; readonly id: number; readonly chunks: ReadonlyArray<OpenAI.ChatCompletionChunk>; readonly end: boolean }
  /** A call or stream failed (a stream possibly after some chunks). */
  | { readonly _tag: "Failed"; readonly id: number; readonly failure: SentFailure }

const messageOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** On the thread: the parts of a failure that `toLlmError` looks at. */
export const sendFailure = (cause: unknown): SentFailure => {
  const message = messageOf(cause)
  if (cause instanceof APIConnectionTimeoutError) return { kind: "timeout", message }
  if (cause instanceof APIConnectionError) return { kind: "connection", message }
  if (cause instanceof APIError) {
    const status = typeof cause.status === "number" ? cause.status : undefined
    const headers = cause.headers === undefined ? undefined : [...cause.headers]
    // The error body is parsed JSON, so it clones; anything else is dropped rather than failing the message.
    let error: unknown = cause.error
    try {
      structuredClone(error)
    } catch {
      error = undefined
    }
    return { kind: "api", status, error, message, headers }
  }
  if (cause instanceof SyntaxError) return { kind: "syntax", message }
  if (cause instanceof TypeError) return { kind: "type", message }
  return { kind: "other", message }
}

/** On the event loop: the `openai` (or built-in) error the thread saw, with its message. */
export const receivedFailure = (failure: SentFailure): Error => {
  switch (failure.kind) {
    case "api": {
      const headers = failure.headers === undefined ? undefined : new Headers(failure.headers.map(([k, v]) => [k, v]))
      const body = typeof failure.error === "object" && failure.error !== null ? failure.error : undefined
      const error = failure.status === undefined || headers === undefined
        ? new APIError(failure.status, body, failure.message, headers)
        : APIError.generate(failure.status, { error: failure.error }, failure.message, headers)
      error.message = failure.message
      return error
    }
    case "timeout":
      return new APIConnectionTimeoutError({ message: failure.message })
    case "connection":
      return new APIConnectionError({ message: failure.message })
    case "syntax":
      return new SyntaxError(failure.message)
    case "type":
      return new TypeError(failure.message)
    case "other":
      return new Error(failure.message)
  }
}
