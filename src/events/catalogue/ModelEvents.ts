/**
 * Model calls of a session (`session-<id>` stream, written by the session actor). A response is recorded in
 * full, so replay rebuilds the transcript and trainers read logprobs without calling the model again.
 */
import { Schema } from "effect"
import { ModelName, SessionId, ToolName } from "../../domain/Ids.ts"
import {
  FinishReason,
  ModelFailureKind,
  ModelRequestParams,
  TokenLogprob,
  ToolCall,
  Usage
} from "../../domain/ModelCall.ts"
import { Count, Millis, Turn, Usd } from "../../domain/Quantities.ts"

export class ModelRequested extends Schema.TaggedClass<ModelRequested>()("ModelRequested", {
  sessionId: SessionId,
  turn: Turn,
  model: ModelName,
  messageCount: Count,
  /** Estimated prompt tokens before sending (what compaction decided on). */
  estimatedPromptTokens: Schema.optional(Count),
  toolsOffered: Schema.Array(ToolName),
  params: ModelRequestParams
}) {}

export class ModelResponded extends Schema.TaggedClass<ModelResponded>()("ModelResponded", {
  sessionId: SessionId,
  turn: Turn,
  /** The model that answered (a fallback model when the breaker was open, or the server's resolved name). */
  model: ModelName,
  /** Text of the reply; empty when the model only called tools. */
  content: Schema.String,
  toolCalls: Schema.Array(ToolCall),
  finishReason: FinishReason,
  usage: Usage,
  latencyMs: Millis,
  /** Time to the first streamed token, when streaming. */
  firstTokenMs: Schema.optional(Millis),
  logprobs: Schema.optional(Schema.Array(TokenLogprob)),
  costUsd: Schema.optional(Usd),
  /** The provider's response id (chatcmpl-…), for cross-reference with its logs. */
  responseId: Schema.optional(Schema.String),
  /** Attempts this response took (1 when the first attempt succeeded). */
  attempts: Schema.Int.pipe(Schema.positive())
}) {}

/** One failed attempt; `retryable` says whether the provider layer tries again (a later event follows). */
export class ModelCallFailed extends Schema.TaggedClass<ModelCallFailed>()("ModelCallFailed", {
  sessionId: SessionId,
  turn: Turn,
  model: ModelName,
  kind: ModelFailureKind,
  status: Schema.optional(Schema.Int.pipe(Schema.between(100, 599))),
  message: Schema.String,
  retryable: Schema.Boolean,
  attempt: Schema.Int.pipe(Schema.positive()),
  retryAfterMs: Schema.optional(Millis),
  latencyMs: Schema.optional(Millis)
}) {}
