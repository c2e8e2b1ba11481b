/**
 * Chat Completions on the wire: the request body's Schema (what OpenAI clients send, nulls included), its
 * conversion to the LanguageModel's messages, tools and parameters, and the response objects (`chat.completion`,
 * `chat.completion.chunk`) built as plain objects so each is JSON-encoded once.
 */
import { Schema } from "effect"
import type { ChatMessage, ToolChoice, ToolSpec } from "../../agent/llm/Types.ts"
import { ChatMessages } from "../../agent/llm/Types.ts"
import { ToolCallId, ToolName } from "../../domain/Ids.ts"
import type { FinishReason, ToolCall, Usage } from "../../domain/ModelCall.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { invalidRequest } from "./SendErrors.ts"

const opt = <A, I, R>(schema: Schema.Schema<A, I, R>) => Schema.optional(Schema.NullOr(schema))
const Name = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))

const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })

export const WireToolCall = Schema.Struct({
  id: Name,
  type: Schema.optional(Schema.Literal("function")),
  function: Schema.Struct({ name: Name, arguments: Schema.String })
})

export const WireMessage = Schema.Struct({
  role: Schema.Literal("system", "developer", "user", "assistant", "tool"),
  content: opt(Schema.Union(Schema.String, Schema.Array(TextPart))),
  name: opt(Schema.String),
  tool_calls: opt(Schema.Array(WireToolCall)),
  tool_call_id: opt(Name)
})
export type WireMessage = typeof WireMessage.Type

export const WireTool = Schema.Struct({
  type: Schema.Literal("function"),
  function: Schema.Struct({
    name: Name,
    description: opt(Schema.String),
    parameters: opt(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
    strict: opt(Schema.Boolean)
  })
})

const WireToolChoice = Schema.Union(
  Schema.Literal("none", "auto", "required"),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Name }) })
)

export const ChatCompletionRequest = Schema.Struct({
  model: Schema.String.pipe(Schema.minLength(1)),
  messages: Schema.Array(WireMessage).pipe(Schema.minItems(1)),
  tools: opt(Schema.Array(WireTool)),
  tool_choice: opt(WireToolChoice),
  stream: opt(Schema.Boolean),
  stream_options: opt(Schema.Struct({ include_usage: opt(Schema.Boolean) })),
  user: opt(Schema.String),
  temperature: opt(Schema.Number.pipe(Schema.between(0, 2))),
  top_p: opt(Schema.Number.pipe(Schema.between(0, 1))),
  max_tokens: opt(Schema.Int.pipe(Schema.positive())),
  max_completion_tokens: opt(Schema.Int.pipe(Schema.positive())),
  seed: opt(Schema.Int),
  frequency_penalty: opt(Schema.Number.pipe(Schema.between(-2, 2))),
  presence_penalty: opt(Schema.Number.pipe(Schema.between(-2, 2))),
  logprobs: opt(Schema.Boolean),
  top_logprobs: opt(Schema.Int.pipe(Schema.between(0, 20))),
  n: opt(Schema.Literal(1))
})
export type ChatCompletionRequest = typeof ChatCompletionRequest.Type

const textOf = (content: WireMessage["content"]): string =>
  content === undefined || content === null
    ? ""
    : typeof content === "string"
    ? content
    : content.map((part) => part.text).join("")

/** The client's messages as the LanguageModel's, or a 400 naming the message that cannot be one. */
export const toChatMessages = (messages: ReadonlyArray<WireMessage>): ReadonlyArray<ChatMessage> | OpenAiFailure => {
  const out: Array<ChatMessage> = []
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    switch (m.role) {
      case "system":
      case "developer":
        out.push(ChatMessages.system(textOf(m.content)))
        break
      case "user":
        out.push(ChatMessages.user(textOf(m.content)))
        break
      case "assistant":
        out.push(ChatMessages.assistant(
          textOf(m.content),
          (m.tool_calls ?? []).map((c) => ({
            id: ToolCallId.make(c.id),
            name: ToolName.make(c.function.name),
            arguments: c.function.arguments
          }))
        ))
        break
      case "tool":
        if (m.tool_call_id === undefined || m.tool_call_id === null) {
          return invalidRequest("a tool message needs the tool_call_id it answers", `messages[${i}].tool_call_id`)
        }
        out.push(ChatMessages.tool(ToolCallId.make(m.tool_call_id), textOf(m.content)))
        break
    }
  }
  return out
}

export const isFailure = <A extends object>(value: A | OpenAiFailure): value is OpenAiFailure =>
  "status" in value && "code" in value && !Array.isArray(value)

export const toToolSpecs = (tools: ReadonlyArray<typeof WireTool.Type>): ReadonlyArray<ToolSpec> =>
  tools.map((t) => ({
    name: ToolName.make(t.function.name),
    description: t.function.description ?? "",
    parameters: t.function.parameters ?? { type: "object", properties: {} }
  }))

export const toToolChoice = (choice: ChatCompletionRequest["tool_choice"]): ToolChoice | undefined =>
  choice === undefined || choice === null
    ? undefined
    : typeof choice === "string"
    ? choice
    : { name: ToolName.make(choice.function.name) }

/** Sampling parameters of the request, in the LanguageModel's names (only those set). */
export const samplingOf = (body: ChatCompletionRequest) => {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens
  return {
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(maxTokens != null ? { maxTokens } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(body.frequency_penalty != null ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(body.presence_penalty != null ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.logprobs != null ? { logprobs: body.logprobs } : {}),
    ...(body.top_logprobs != null ? { topLogprobs: body.top_logprobs } : {})
  }
}

export type WireFinishReason = "stop" | "length" | "tool_calls" | "content_filter"

export const wireFinishReason = (reason: FinishReason): WireFinishReason =>
  reason === "length" || reason === "tool_calls" || reason === "content_filter" ? reason : "stop"

export const wireUsage = (usage: Pick<Usage, "promptTokens" | "completionTokens">) => ({
  prompt_tokens: usage.promptTokens,
  completion_tokens: usage.completionTokens,
  total_tokens: usage.promptTokens + usage.completionTokens
})

export const wireToolCalls = (calls: ReadonlyArray<ToolCall>) =>
  calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } }))

export interface CompletionHead {
  readonly id: string
  readonly created: number
  readonly model: string
}

export const completionBody = (
  head: CompletionHead,
  reply: {
    readonly content: string
    readonly toolCalls: ReadonlyArray<ToolCall>
    readonly finishReason: WireFinishReason
    readonly usage: Pick<Usage, "promptTokens" | "completionTokens">
  }
) => ({
  id: head.id,
  object: "chat.completion",
  created: head.created,
  model: head.model,
  choices: [{
    index: 0,
    message: {
      role: "assistant",
      content: reply.toolCalls.length > 0 && reply.content.length === 0 ? null : reply.content,
      refusal: null,
      ...(reply.toolCalls.length > 0 ? { tool_calls: wireToolCalls(reply.toolCalls) } : {})
    },
    logprobs: null,
    finish_reason: reply.finishReason
  }],
  usage: wireUsage(reply.usage)
})

/** Builds `chat.completion.chunk` objects of one response; with include_usage every chunk carries `usage: null`. */
export const chunkMaker = (head: CompletionHead, includeUsage: boolean) => {
  const base = { id: head.id, object: "chat.completion.chunk", created: head.created, model: head.model }
  const tail = includeUsage ? { usage: null } : {}
  return {
    delta: (delta: Readonly<Record<string, unknown>>, finishReason: WireFinishReason | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...tail
    }),
    usage: (usage: Pick<Usage, "promptTokens" | "completionTokens">) => ({ ...base, choices: [], usage: wireUsage(usage) })
  }
}
