/**
 * Token estimates without a tokenizer: about four characters per token for English text and code, plus a
 * small overhead per message. Good enough for rate limiting and compaction thresholds, not for billing.
 */
import type { ChatMessage, ModelRequest, ToolSpec } from "./Types.ts"

const perMessageOverhead = 4

export const estimateTextTokens = (text: string): number => Math.ceil(text.length / 4)

export const estimateMessageTokens = (message: ChatMessage): number => {
  const calls = message._tag === "assistant"
    ? message.toolCalls.reduce((n, call) => n + estimateTextTokens(call.name) + estimateTextTokens(call.arguments), 0)
    : 0
  return perMessageOverhead + estimateTextTokens(message.content) + calls
}

/** A session offers the same tool array to every call of a run: its (JSON-sized) estimate is computed once. */
const toolTokens = new WeakMap<ReadonlyArray<ToolSpec>, number>()

export const estimateToolTokens = (tools: ReadonlyArray<ToolSpec>): number => {
  if (tools.length === 0) return 0
  const known = toolTokens.get(tools)
  if (known !== undefined) return known
  const tokens = estimateTextTokens(JSON.stringify(tools))
  toolTokens.set(tools, tokens)
  return tokens
}

export const estimatePromptTokens = (
  messages: ReadonlyArray<ChatMessage>,
  tools: ReadonlyArray<ToolSpec> = []
): number => messages.reduce((n, m) => n + estimateMessageTokens(m), 0) + estimateToolTokens(tools)

/** What a request may consume: its prompt plus the completion it allows (as providers count it against TPM). */
export const estimateRequestTokens = (request: ModelRequest): number =>
  estimatePromptTokens(request.messages, request.tools) + (request.maxTokens ?? 0)
