/**
 * Errors of the model provider. They reach the session actor's events and the HTTP gateway, so all are
 * Schema errors. `LlmError.reason` is the domain's ModelFailureKind, recorded as is in ModelCallFailed.
 */
import { Schema } from "effect"
import { ModelFailureKind } from "../../domain/ModelCall.ts"

export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", {
  reason: ModelFailureKind,
  model: Schema.String,
  message: Schema.String,
  status: Schema.optional(Schema.Int),
  /** The server's Retry-After (or retry-after-ms), in milliseconds, when it sent one. */
  retryAfterMs: Schema.optional(Schema.NonNegative),
  cause: Schema.optional(Schema.Defect)
}) {
  /** Whether a later attempt may succeed: 408/409/425/429/5xx, network errors and timeouts. */
  get retryable(): boolean {
    return isRetryableReason(this.reason)
  }
}

const retryableReasons: ReadonlySet<ModelFailureKind> = new Set(["rate_limited", "timeout", "server_error", "network"])
export const isRetryableReason = (reason: ModelFailureKind): boolean => retryableReasons.has(reason)

/** Maps an HTTP status to a failure kind; 408/409/425 count as transient server trouble. */
export const reasonOfStatus = (status: number): ModelFailureKind => {
  if (status === 429) return "rate_limited"
  if (status === 408 || status === 409 || status === 425 || status >= 500) return "server_error"
  if (status === 401 || status === 403) return "auth"
  return "bad_request"
}

export const modelVariables = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "TAU_MODEL"] as const

/** No model is configured. The server still runs; agent endpoints answer 503 with this message. */
export class ModelNotConfigured extends Schema.TaggedError<ModelNotConfigured>()("ModelNotConfigured", {
  detail: Schema.String
}) {
  override get message() {
    return `No language model is configured: ${this.detail}. Set OPENAI_API_KEY (and optionally TAU_MODEL) to use ` +
      `OpenAI, or OPENAI_BASE_URL and TAU_MODEL to use a local OpenAI-compatible server (llama.cpp, vLLM, Ollama).`
  }
}

/** Tau's own outbound limit (requests/min or tokens/min) would need a longer wait than allowed. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  limit: Schema.Literal("requests", "tokens"),
  retryAfterMs: Schema.NonNegative
}) {
  override get message() {
    return `provider outbound rate limit (${this.limit} per minute) exceeded; retry after ${Math.ceil(this.retryAfterMs)} ms`
  }
}

export type LanguageModelError = LlmError | RateLimited | ModelNotConfigured
