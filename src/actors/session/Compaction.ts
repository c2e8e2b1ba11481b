/**
 * Context compaction: when the estimated prompt of the next request passes a fraction of the model's context
 * window, older turns are replaced by a deterministic summary (user messages kept nearly whole, short excerpts
 * of replies and tool results). The summary is recorded in ContextCompacted, so replay needs no model.
 */
import { Option } from "effect"
import { estimatePromptTokens } from "../../agent/llm/Tokens.ts"
import type { ChatMessage } from "../../agent/llm/Types.ts"
import type { Transcript } from "./Transcript.ts"
import { applyCompaction, messagesOf } from "./Transcript.ts"

export interface CompactionSettings {
  /** Tokens the model accepts in one request. */
  readonly contextWindow: number
  /** Fraction of the window at which older turns are summarised. */
  readonly threshold: number
  /** Most recent turns always kept verbatim. */
  readonly keepTurns: number
}

export const defaultCompaction: CompactionSettings = { contextWindow: 128_000, threshold: 0.8, keepTurns: 2 }

export interface CompactionPlan {
  readonly fromTurn: number
  readonly toTurn: number
  readonly summarizedTurns: number
  readonly tokensBefore: number
  readonly tokensAfter: number
  readonly summary: string
}

const userChars = 1_000
const excerptChars = 160
const maxExcerpts = 12

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}…`)

const line = (message: ChatMessage): string | undefined => {
  switch (message._tag) {
    case "user":
      return `- user: ${clip(message.content, userChars)}`
    case "assistant": {
      const calls = message.toolCalls.map((c) => `${c.name}(${clip(c.arguments, 60)})`).join(", ")
      const text = message.content.trim().length > 0 ? clip(message.content, excerptChars) : ""
      return `- assistant: ${[text, calls.length > 0 ? `called ${calls}` : ""].filter((s) => s.length > 0).join("; ")}`
    }
    case "tool":
      return `- tool result: ${clip(message.content, excerptChars)}`
    case "system":
      return undefined
  }
}

/** A deterministic summary of the given messages. */
export const summarize = (messages: ReadonlyArray<ChatMessage>): string => {
  const count = (tag: ChatMessage["_tag"]) => messages.filter((m) => m._tag === tag).length
  const header = `summarized_messages=${messages.length}; roles: user=${count("user")}, assistant=${count("assistant")}, ` +
    `tool=${count("tool")}`
  const users = messages.filter((m) => m._tag === "user").map(line)
  const others = messages.filter((m) => m._tag !== "user").map(line).slice(-maxExcerpts)
  return [header, ...users, ...others].filter((l): l is string => l !== undefined).join("\n")
}

export const estimateTokens = (systemPrompt: string, transcript: Transcript, toolsTokens: number): number =>
  estimatePromptTokens(messagesOf(systemPrompt, transcript)) + toolsTokens

/**
 * Whether to compact before the model call of `nextTurn`, and how: every turn older than the last `keepTurns`
 * completed ones is folded. None when under the threshold or when there is nothing old enough to fold.
 */
export const planCompaction = (input: {
  readonly systemPrompt: string
  readonly transcript: Transcript
  readonly nextTurn: number
  readonly toolsTokens: number
  readonly settings: CompactionSettings
}): Option.Option<CompactionPlan> => {
  const { settings, systemPrompt, toolsTokens, transcript } = input
  const tokensBefore = estimateTokens(systemPrompt, transcript, toolsTokens)
  if (tokensBefore < settings.threshold * settings.contextWindow || transcript.length === 0) return Option.none()
  const fromTurn = Math.min(...transcript.map((e) => e.turn))
  const toTurn = input.nextTurn - 1 - settings.keepTurns
  if (toTurn < fromTurn) return Option.none()
  const folded = transcript.filter((e) => e.turn >= fromTurn && e.turn <= toTurn)
  if (folded.length === 0) return Option.none()
  const summary = summarize(folded.map((e) => e.message))
  const after = applyCompaction(transcript, { fromTurn, toTurn, summary })
  const tokensAfter = estimateTokens(systemPrompt, after, toolsTokens)
  if (tokensAfter >= tokensBefore) return Option.none()
  return Option.some({
    fromTurn,
    toTurn,
    summarizedTurns: new Set(folded.map((e) => e.turn)).size,
    tokensBefore,
    tokensAfter,
    summary
  })
}
