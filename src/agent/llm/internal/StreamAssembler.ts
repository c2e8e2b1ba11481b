/**
 * Assembles streamed chunks into deltas and a final response, across retries. The Ledger holds what the
 * consumer has already received; each attempt accumulates what its server sent, and only the part that goes
 * beyond the ledger is emitted. So a stream retried after a dropped connection never repeats delivered text,
 * and the final response is exactly what the consumer saw (the concatenation of its deltas).
 */
import type { ChatCompletionChunk } from "openai/resources/chat/completions"
import type { FinishReason, TokenLogprob, ToolCall, Usage } from "../../../domain/ModelCall.ts"
import type { StreamDelta } from "../Types.ts"
import { toFinishReason, toTokenLogprob, toToolCall, toUsage } from "./Wire.ts"

interface ToolPart {
  id: string | undefined
  name: string | undefined
  arguments: string
}

export interface Ledger {
  text: string
  readonly tools: Map<number, ToolPart>
  /** Set when a retry's output disagreed with text already delivered. */
  diverged: boolean
}

export interface Attempt {
  text: string
  readonly tools: Map<number, ToolPart>
  finishReason: string | undefined
  usage: ChatCompletionChunk["usage"]
  readonly logprobs: Array<TokenLogprob>
  sawLogprobs: boolean
  responseId: string | undefined
}

export const makeLedger = (): Ledger => ({ text: "", tools: new Map(), diverged: false })

export const makeAttempt = (): Attempt => ({
  text: "",
  tools: new Map(),
  finishReason: undefined,
  usage: undefined,
  logprobs: [],
  sawLogprobs: false,
  responseId: undefined
})

/** Appends `piece` to `received` and returns the part of it the consumer has not seen yet (maybe ""). */
const beyond = (delivered: string, received: string, piece: string, ledger: Ledger): string => {
  const before = received.length
  const after = received + piece
  const overlapEnd = Math.min(after.length, delivered.length)
  if (overlapEnd > before && after.slice(before, overlapEnd) !== delivered.slice(before, overlapEnd)) ledger.diverged = true
  return after.length > delivered.length ? after.slice(Math.max(before, delivered.length)) : ""
}

export const absorb = (ledger: Ledger, attempt: Attempt, chunk: ChatCompletionChunk): ReadonlyArray<StreamDelta> => {
  const out: Array<StreamDelta> = []
  if (attempt.responseId === undefined && typeof chunk.id === "string" && chunk.id.length > 0) attempt.responseId = chunk.id
  if (chunk.usage != null) attempt.usage = chunk.usage
  const choice = chunk.choices?.[0]
  if (choice === undefined) return out
  if (choice.finish_reason != null) attempt.finishReason = choice.finish_reason
  const logprobs = choice.logprobs?.content
  if (logprobs != null) {
    attempt.sawLogprobs = true
    attempt.logprobs.push(...logprobs.map(toTokenLogprob))
  }
  const text = choice.delta?.content
  if (typeof text === "string" && text.length > 0) {
    const fresh = beyond(ledger.text, attempt.text, text, ledger)
    attempt.text += text
    if (fresh.length > 0) {
      ledger.text += fresh
      out.push({ _tag: "TextDelta", text: fresh })
    }
  }
  for (const call of choice.delta?.tool_calls ?? []) {
    const part = attempt.tools.get(call.index) ?? { id: undefined, name: undefined, arguments: "" }
    attempt.tools.set(call.index, part)
    const seen = ledger.tools.get(call.index) ?? { id: undefined, name: undefined, arguments: "" }
    ledger.tools.set(call.index, seen)
    if (call.id) part.id ??= call.id
    if (call.function?.name) part.name ??= call.function.name
    const piece = call.function?.arguments ?? ""
    const fresh = beyond(seen.arguments, part.arguments, piece, ledger)
    part.arguments += piece
    const newId = seen.id === undefined && part.id !== undefined ? part.id : undefined
    const newName = seen.name === undefined && part.name !== undefined ? part.name : undefined
    if (newId !== undefined) seen.id = newId
    if (newName !== undefined) seen.name = newName
    seen.arguments += fresh
    if (newId !== undefined || newName !== undefined || fresh.length > 0) {
      out.push({
        _tag: "ToolCallDelta",
        index: call.index,
        ...(newId !== undefined ? { id: newId } : {}),
        ...(newName !== undefined ? { name: newName } : {}),
        arguments: fresh
      })
    }
  }
  return out
}

export interface Assembled {
  readonly content: string
  readonly toolCalls: ReadonlyArray<ToolCall>
  readonly finishReason: FinishReason
  readonly usage: Usage
  readonly logprobs: ReadonlyArray<TokenLogprob> | undefined
  readonly responseId: string | undefined
}

/** The response as delivered; usage and logprobs are those of the attempt that finished. */
export const assemble = (ledger: Ledger, attempt: Attempt, estimate: (content: string) => Usage): Assembled => {
  const toolCalls = [...ledger.tools.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, part]) => toToolCall(index, part.id, part.name, part.arguments))
  return {
    content: ledger.text,
    toolCalls,
    finishReason: toFinishReason(attempt.finishReason),
    usage: toUsage(attempt.usage, () => estimate(ledger.text)),
    logprobs: attempt.sawLogprobs ? attempt.logprobs : undefined,
    responseId: attempt.responseId
  }
}
