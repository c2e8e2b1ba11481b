/**
 * Value objects of one model call, as recorded in ModelRequested / ModelResponded: enough to rebuild the
 * transcript and to train on it (usage, logprobs) without calling the model again.
 */
import { Schema } from "effect"
import { ToolCallId, ToolName } from "./Ids.ts"
import { Count, Real, UnitInterval } from "./Quantities.ts"

export const Usage = Schema.Struct({
  promptTokens: Count,
  completionTokens: Count,
  totalTokens: Count,
  /** Prompt tokens served from the provider's cache, when it reports them. */
  cachedTokens: Schema.optional(Count)
}).annotations({ identifier: "Usage" })
export type Usage = typeof Usage.Type

export const TopLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.Number.pipe(Schema.finite(), Schema.lessThanOrEqualTo(0))
}).annotations({ identifier: "TopLogprob" })
export type TopLogprob = typeof TopLogprob.Type

export const TokenLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.Number.pipe(Schema.finite(), Schema.lessThanOrEqualTo(0)),
  /** The most likely alternatives at this position, when requested (top_logprobs). */
  top: Schema.Array(TopLogprob)
}).annotations({ identifier: "TokenLogprob" })
export type TokenLogprob = typeof TokenLogprob.Type

/** A tool call as the model asked for it; `arguments` is the model's JSON text, unparsed (it may be invalid). */
export const ToolCall = Schema.Struct({
  id: ToolCallId,
  name: ToolName,
  arguments: Schema.String
}).annotations({ identifier: "ToolCall" })
export type ToolCall = typeof ToolCall.Type

export const FinishReason = Schema.Literal("stop", "tool_calls", "length", "content_filter", "function_call", "unknown")
export type FinishReason = typeof FinishReason.Type

/** Sampling parameters sent with a request (only those set). */
export const ModelRequestParams = Schema.Struct({
  temperature: Schema.optional(Schema.Number.pipe(Schema.between(0, 2))),
  topP: Schema.optional(UnitInterval),
  maxTokens: Schema.optional(Schema.Int.pipe(Schema.positive())),
  seed: Schema.optional(Schema.Int),
  stream: Schema.Boolean,
  logprobs: Schema.Boolean,
  topLogprobs: Schema.optional(Schema.Int.pipe(Schema.between(0, 20))),
  toolChoice: Schema.optional(Schema.Literal("auto", "none", "required")),
  frequencyPenalty: Schema.optional(Real),
  presencePenalty: Schema.optional(Real)
}).annotations({ identifier: "ModelRequestParams" })
export type ModelRequestParams = typeof ModelRequestParams.Type

export const ModelFailureKind = Schema.Literal(
  "rate_limited",
  "timeout",
  "server_error",
  "network",
  "bad_request",
  "auth",
  "context_length",
  "content_filter",
  "invalid_response",
  "circuit_open",
  "not_configured",
  "unknown"
)
export type ModelFailureKind = typeof ModelFailureKind.Type
