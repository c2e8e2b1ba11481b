/**
 * The conversation as the model sees it, folded from session events only: user messages, the model's
 * replies (with their tool calls), tool results, replan hints and compaction summaries. Each entry remembers
 * the turn it belongs to, so compaction can replace whole turns (never splitting a tool call from its result).
 */
import type { ToolCall } from "../../domain/ModelCall.ts"
import type { ChatMessage } from "../../agent/llm/Types.ts"
import { ChatMessages } from "../../agent/llm/Types.ts"
import type {
  ContextCompacted,
  ModelResponded,
  ReplanHintInjected,
  ToolCallCompleted,
  ToolCallFailed,
  UserMessageReceived
} from "../../events/TauEvent.ts"

export interface TranscriptEntry {
  /** The turn the entry belongs to: the turn that answers a user message, the turn of a call or result. */
  readonly turn: number
  readonly message: ChatMessage
}

export type Transcript = ReadonlyArray<TranscriptEntry>

export const userEntry = (event: UserMessageReceived, nextTurn: number): TranscriptEntry => ({
  turn: nextTurn,
  message: ChatMessages.user(event.content)
})

export const assistantEntry = (event: ModelResponded): TranscriptEntry => ({
  turn: event.turn,
  message: ChatMessages.assistant(event.content, event.toolCalls as ReadonlyArray<ToolCall>)
})

/** What the model is shown for a tool result; a failure shows its reason and message (the parse error, …). */
export const toolResultText = (event: ToolCallCompleted | ToolCallFailed): string =>
  event._tag === "ToolCallCompleted"
    ? event.output
    : `Error (${event.reason}): ${event.message}`

export const toolEntry = (event: ToolCallCompleted | ToolCallFailed): TranscriptEntry => ({
  turn: event.turn,
  message: ChatMessages.tool(event.toolCallId, toolResultText(event))
})

/** The hint belongs before the next turn's model call. */
export const replanEntry = (event: ReplanHintInjected): TranscriptEntry => ({
  turn: event.turn,
  message: ChatMessages.user(event.hint)
})

export const summaryText = (event: Pick<ContextCompacted, "fromTurn" | "toTurn" | "summary">): string =>
  `[Context summary of turns ${event.fromTurn}-${event.toTurn}]\n${event.summary}`

/** Entries of turns fromTurn..toTurn are replaced, where the first of them stood, by one summary entry. */
export const applyCompaction = (
  transcript: Transcript,
  event: Pick<ContextCompacted, "fromTurn" | "toTurn" | "summary">
): Transcript => {
  const folded = (entry: TranscriptEntry) => entry.turn >= event.fromTurn && entry.turn <= event.toTurn
  const at = transcript.findIndex(folded)
  const kept = transcript.filter((entry) => !folded(entry))
  const summary: TranscriptEntry = { turn: event.toTurn, message: ChatMessages.user(summaryText(event)) }
  const index = at < 0 ? 0 : at
  return [...kept.slice(0, index), summary, ...kept.slice(index)]
}

/** The messages of the next request: the system prompt, then the transcript. */
export const messagesOf = (systemPrompt: string, transcript: Transcript): ReadonlyArray<ChatMessage> => [
  ChatMessages.system(systemPrompt),
  ...transcript.map((entry) => entry.message)
]
