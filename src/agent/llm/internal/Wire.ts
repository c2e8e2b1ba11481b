/**
 * Translation between our types and the OpenAI Chat Completions wire format, and from SDK failures to LlmError.
 */
import type {
  ChatCompletion,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTokenLogprob
} from "openai/resources/chat/completions"
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai"
import { ToolCallId, ToolName } from "../../../domain/Ids.ts"
import type { FinishReason, TokenLogprob, ToolCall, Usage } from "../../../domain/ModelCall.ts"
import type { LlmSettings } from "../Config.ts"
import { LlmError, reasonOfStatus } from "../Errors.ts"
import { parseRetryAfter } from "../Retry.ts"
import type { ChatMessage, ModelRequest } from "../Types.ts"

export const toWireMessage = (message: ChatMessage): ChatCompletionMessageParam => {
  switch (message._tag) {
    case "system":
      return { role: "system", content: message.content }
    case "user":
      return { role: "user", content: message.content }
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content }
    case "assistant":
      return message.toolCalls.length === 0
        ? { role: "assistant", content: message.content }
        : {
          role: "assistant",
          content: message.content.length > 0 ? message.content : null,
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: "function" as const,
            function: { name: call.name, arguments: call.arguments }
          }))
        }
  }
}

type WireTools = NonNullable<ChatCompletionCreateParamsBase["tools"]>

/**
 * The wire form of a tool list, made once per list: a run offers the same specs array to every call, and the
 * model thread sends a list it has seen before by reference (see ModelThread.ts).
 */
const wireToolLists = new WeakMap<ModelRequest["tools"], WireTools>()
const wireTools = (tools: ModelRequest["tools"]): WireTools => {
  let wire = wireToolLists.get(tools)
  if (wire === undefined) {
    wire = tools.map((tool) => ({
      type: "function" as const,
      function: { name: tool.name, description: tool.description, parameters: { ...tool.parameters } }
    }))
    wireToolLists.set(tools, wire)
  }
  return wire
}

export const wantsLogprobs = (request: ModelRequest, settings: LlmSettings): boolean =>
  request.logprobs ?? settings.logprobs

/** The request body shared by streaming and non-streaming calls (`stream` is added by the caller). */
export const toWireParams = (
  model: string,
  request: ModelRequest,
  settings: LlmSettings,
  official: boolean
): ChatCompletionCreateParamsBase => {
  const logprobs = wantsLogprobs(request, settings)
  const topLogprobs = request.topLogprobs ?? settings.topLogprobs
  const choice = request.toolChoice
  return {
    model,
    messages: request.messages.map(toWireMessage),
    ...(request.tools.length > 0 ? { tools: wireTools(request.tools) } : {}),
    ...(choice === undefined || request.tools.length === 0
      ? {}
      : { tool_choice: typeof choice === "string" ? choice : { type: "function" as const, function: { name: choice.name } } }),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(request.frequencyPenalty !== undefined ? { frequency_penalty: request.frequencyPenalty } : {}),
    ...(request.presencePenalty !== undefined ? { presence_penalty: request.presencePenalty } : {}),
    // OpenAI's newer models reject max_tokens; most local servers only know it.
    ...(request.maxTokens !== undefined
      ? official ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }
      : {}),
    ...(logprobs ? { logprobs: true, ...(topLogprobs > 0 ? { top_logprobs: topLogprobs } : {}) } : {})
  }
}

const finishReasons: ReadonlySet<string> = new Set(["stop", "tool_calls", "length", "content_filter", "function_call"])
export const toFinishReason = (reason: string | null | undefined): FinishReason =>
  reason != null && finishReasons.has(reason) ? (reason as FinishReason) : "unknown"

const safeLogprob = (logprob: number) => Number.isFinite(logprob) ? Math.min(0, logprob) : -9999

export const toTokenLogprob = (entry: ChatCompletionTokenLogprob): TokenLogprob => ({
  token: entry.token,
  logprob: safeLogprob(entry.logprob),
  top: (entry.top_logprobs ?? []).map((top) => ({ token: top.token, logprob: safeLogprob(top.logprob) }))
})

export const toToolCall = (index: number, id: string | undefined, name: string | undefined, args: string): ToolCall => ({
  id: ToolCallId.make(id !== undefined && id.length > 0 ? id.slice(0, 256) : `call_${index}`),
  name: ToolName.make(name !== undefined && name.length > 0 ? name.slice(0, 256) : "unknown_tool"),
  arguments: args
})

interface WireUsage {
  readonly prompt_tokens?: number | null
  readonly completion_tokens?: number | null
  readonly total_tokens?: number | null
  readonly prompt_tokens_details?: { readonly cached_tokens?: number | null } | null
}

const count = (n: number | null | undefined) => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.round(n) : 0)

/** Usage as reported, or estimated when the server reports none. */
export const toUsage = (usage: WireUsage | null | undefined, estimate: () => Usage): Usage => {
  if (usage == null) return estimate()
  const promptTokens = count(usage.prompt_tokens)
  const completionTokens = count(usage.completion_tokens)
  const cached = usage.prompt_tokens_details?.cached_tokens
  return {
    promptTokens,
    completionTokens,
    totalTokens: Math.max(count(usage.total_tokens), promptTokens + completionTokens),
    ...(typeof cached === "number" && cached > 0 ? { cachedTokens: count(cached) } : {})
  }
}

export interface ParsedCompletion {
  readonly content: string
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finishReason: FinishReason
  readonly usage: Usage
  readonly logprobs: ReadonlyArray<TokenLogprob> | undefined
  readonly responseId: string | undefined
}

export const parseCompletion = (
  model: string,
  completion: ChatCompletion,
  estimate: (content: string) => Usage
): ParsedCompletion | LlmError => {
  const choice = completion?.choices?.[0]
  if (choice?.message === undefined) {
    return new LlmError({ reason: "invalid_response", model, message: "the response has no choices" })
  }
  const content = choice.message.content ?? ""
  const toolCalls = (choice.message.tool_calls ?? []).flatMap((call, index) =>
    // Some local servers omit `type`; anything with a `function` is a function call.
    "function" in call && call.function != null
      ? [toToolCall(index, call.id, call.function.name, call.function.arguments ?? "")]
      : []
  )
  const logprobs = choice.logprobs?.content
  return {
    content,
    toolCalls,
    finishReason: toFinishReason(choice.finish_reason),
    usage: toUsage(completion.usage, () => estimate(content)),
    logprobs: logprobs == null ? undefined : logprobs.map(toTokenLogprob),
    responseId: typeof completion.id === "string" && completion.id.length > 0 ? completion.id : undefined
  }
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** Classifies any failure of an SDK call. `nowMs` resolves Retry-After given as an HTTP date. */
export const toLlmError = (model: string, cause: unknown, nowMs: number): LlmError => {
  if (cause instanceof LlmError) return cause
  if (cause instanceof APIConnectionTimeoutError) {
    return new LlmError({ reason: "timeout", model, message: describe(cause), cause })
  }
  if (cause instanceof APIConnectionError) {
    return new LlmError({ reason: "network", model, message: describe(cause), cause })
  }
  if (cause instanceof APIError) {
    const status = typeof cause.status === "number" ? cause.status : undefined
    const retryAfterMs = parseRetryAfter(cause.headers, nowMs)
    // An error event inside an SSE stream has no status: the server gave up mid-answer.
    const reason = status === undefined ? "server_error" : reasonOfStatus(status)
    return new LlmError({
      reason: reason === "bad_request" && /context.length|maximum context|too many tokens/i.test(cause.message)
        ? "context_length"
        : reason,
      model,
      message: describe(cause),
      ...(status !== undefined ? { status } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      cause
    })
  }
  if (cause instanceof SyntaxError) {
    return new LlmError({ reason: "invalid_response", model, message: `malformed response: ${describe(cause)}`, cause })
  }
  // undici reports a connection cut mid-body as a TypeError ("terminated").
  if (cause instanceof TypeError) {
    return new LlmError({ reason: "network", model, message: describe(cause), cause })
  }
  return new LlmError({ reason: "unknown", model, message: describe(cause), cause })
}
