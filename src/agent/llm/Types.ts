/**
 * What goes in and out of the LanguageModel service. Tool calls, usage, logprobs and finish reasons are the
 * domain value objects recorded in ModelRequested / ModelResponded, so a response maps onto its event 1:1.
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import { ModelName, ToolCallId, ToolName } from "../../domain/Ids.ts"
import { FinishReason, TokenLogprob, ToolCall, Usage } from "../../domain/ModelCall.ts"
import { Count, Millis, Usd } from "../../domain/Quantities.ts"
import { checkedConstructor } from "../../domain/SchemaCheck.ts"
import type { LlmError } from "./Errors.ts"

export { FinishReason, TokenLogprob, ToolCall, Usage }

export const SystemMessage = Schema.TaggedStruct("system", { content: Schema.String })
export const UserMessage = Schema.TaggedStruct("user", { content: Schema.String })
export const AssistantMessage = Schema.TaggedStruct("assistant", {
  content: Schema.String,
  toolCalls: Schema.optionalWith(Schema.Array(ToolCall), { default: () => [] })
})
export const ToolMessage = Schema.TaggedStruct("tool", {
  toolCallId: ToolCallId,
  content: Schema.String
})

/** One message of a conversation; `_tag` is the OpenAI role. */
export const ChatMessage = Schema.Union(SystemMessage, UserMessage, AssistantMessage, ToolMessage)
export type ChatMessage = typeof ChatMessage.Type

/**
 * Typed arguments leave nothing to validate, and a struct's value is a plain object: the messages are written as
 * literals (`make`, even without validation, merged defaults field by field: ~1 % of a turn).
 */
export const ChatMessages = {
  system: (content: string): ChatMessage => ({ _tag: "system", content }),
  user: (content: string): ChatMessage => ({ _tag: "user", content }),
  assistant: (content: string, toolCalls: ReadonlyArray<ToolCall> = []): ChatMessage => ({ _tag: "assistant", content, toolCalls }),
  tool: (toolCallId: ToolCallId, content: string): ChatMessage => ({ _tag: "tool", toolCallId, content })
} as const

/** A tool the model may call: `parameters` is the JSON Schema of its arguments object. */
export const ToolSpec = Schema.Struct({
  name: ToolName,
  description: Schema.String,
  parameters: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}).annotations({ identifier: "ToolSpec" })
export type ToolSpec = typeof ToolSpec.Type

export const ToolChoice = Schema.Union(
  Schema.Literal("auto", "none", "required"),
  Schema.Struct({ name: ToolName })
)
export type ToolChoice = typeof ToolChoice.Type

export const Logprobs = Schema.Array(TokenLogprob)
export type Logprobs = typeof Logprobs.Type

export class ModelRequest extends Schema.Class<ModelRequest>("ModelRequest")({
  messages: Schema.Array(ChatMessage),
  tools: Schema.optionalWith(Schema.Array(ToolSpec), { default: () => [] }),
  toolChoice: Schema.optional(ToolChoice),
  temperature: Schema.optional(Schema.Number.pipe(Schema.between(0, 2))),
  topP: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  maxTokens: Schema.optional(Schema.Int.pipe(Schema.positive())),
  seed: Schema.optional(Schema.Int),
  frequencyPenalty: Schema.optional(Schema.Finite),
  presencePenalty: Schema.optional(Schema.Finite),
  /** Overrides the configured TAU_LLM_LOGPROBS for this request. */
  logprobs: Schema.optional(Schema.Boolean),
  topLogprobs: Schema.optional(Schema.Int.pipe(Schema.between(0, 20))),
  /** Overrides the configured primary model (fallbacks still follow it). */
  model: Schema.optional(ModelName)
}) {}

export class ModelResponse extends Schema.Class<ModelResponse>("ModelResponse")({
  /** The model that answered: the primary, or a fallback when the primary's breaker was open or it kept failing. */
  model: ModelName,
  content: Schema.String,
  toolCalls: Schema.Array(ToolCall),
  finishReason: FinishReason,
  usage: Usage,
  logprobs: Schema.optional(Logprobs),
  /** Wall time of the whole call, retries and waits included. */
  latencyMs: Millis,
  firstTokenMs: Schema.optional(Millis),
  costUsd: Usd,
  responseId: Schema.optional(Schema.String),
  attempts: Schema.Int.pipe(Schema.positive()),
  /** Models tried before `model`, in order, when a fallback answered. */
  skippedModels: Schema.optionalWith(Schema.Array(ModelName), { default: () => [] })
}) {}

/**
 * A ModelResponse checked by the compiled check (src/domain/SchemaCheck.ts) instead of the constructor's own
 * validation: the same refusals, at a fraction of the cost, once per model call.
 */
export const makeModelResponse = checkedConstructor(ModelResponse)

export const TextDelta = Schema.TaggedStruct("TextDelta", { text: Schema.String })
/** A piece of a tool call: `id` and `name` arrive once (first piece), then `arguments` text in pieces. */
export const ToolCallDelta = Schema.TaggedStruct("ToolCallDelta", {
  index: Count,
  id: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  arguments: Schema.String
})
/** The last element of every stream: the assembled response (content = the concatenated TextDeltas). */
export const Completed = Schema.TaggedStruct("Completed", { response: ModelResponse })

export const StreamDelta = Schema.Union(TextDelta, ToolCallDelta, Completed)
export type StreamDelta = typeof StreamDelta.Type

/** A failed attempt inside one call, reported as it happens (the session actor records ModelCallFailed). */
export interface AttemptFailure {
  readonly model: string
  /** 1-based attempt number within the call, across models. */
  readonly attempt: number
  readonly error: LlmError
  /** Whether another attempt follows, on the same model or on `nextModel`. */
  readonly retrying: boolean
  readonly nextModel?: string
  readonly delayMs?: number
  readonly latencyMs: number
}

export interface CallOptions {
  readonly onAttemptFailed?: (failure: AttemptFailure) => Effect.Effect<void>
}
