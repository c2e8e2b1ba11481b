/**
 * The pure half of the proxy recorder: which messages of a request are new to the session (user messages after
 * the ones the log already holds, tool results answering the pending client calls) and the events that open a
 * proxy session and its model calls. Everything else is decided by the session actor's own helpers
 * (Results.ts), so a proxy session's stream has the same shape as an agent session's.
 */
import { Either } from "effect"
import { createHash } from "node:crypto"
import type { ChatMessage, ModelResponse } from "../../agent/llm/Types.ts"
import type { ModelName, SessionId, ToolName } from "../../domain/Ids.ts"
import { PromptName, PromptVersionId } from "../../domain/Ids.ts"
import type { ModelRequestParams } from "../../domain/ModelCall.ts"
import { unchecked } from "../../domain/Unchecked.ts"
import { ModelRequested, SessionStarted, ToolCallRequested } from "../../events/TauEvent.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { AttemptRecord, Inspection, ToolOutcome } from "../session/Commands.ts"
import { SessionCommand } from "../session/Commands.ts"
import type { DecideError } from "../session/Errors.ts"
import { recordModelResponse, recordToolResults } from "../session/Results.ts"
import type { SessionState } from "../session/State.ts"

export const proxyPromptName = PromptName.make("proxy")

/** The client's agent decides when to stop; Tau imposes no turn limit on a proxy session. */
export const proxyMaxTurns = 1_000_000

/** Prompt versions of the system prompts seen last: a client's agent sends the same one with every request. */
const versions = new Map<string, PromptVersionId>()
const KEPT_VERSIONS = 256

/** Proxy sessions are grouped by the client's system prompt: its hash is the prompt version. */
export const promptVersionOf = (systemPrompt: string): PromptVersionId => {
  const known = versions.get(systemPrompt)
  if (known !== undefined) return known
  const version = PromptVersionId.make(`proxy-${createHash("sha256").update(systemPrompt).digest("hex").slice(0, 16)}`)
  if (versions.size >= KEPT_VERSIONS) versions.clear()
  versions.set(systemPrompt, version)
  return version
}

export const systemPromptOf = (messages: ReadonlyArray<ChatMessage>): string =>
  messages.flatMap((m) => (m._tag === "system" ? [m.content] : [])).join("\n\n")

export interface NewInput {
  /** Indexes of the request's messages that are user messages the session has not recorded. */
  readonly users: ReadonlyArray<number>
  /** Pending client tool call id → index of the tool message answering it. */
  readonly toolResults: ReadonlyMap<string, number>
}

/**
 * New input is what follows the request's last assistant message. User messages there that the log already
 * holds after its last model reply (a request retried after a failed call resends them) are skipped.
 */
export const newInput = (messages: ReadonlyArray<ChatMessage>, state: SessionState): NewInput => {
  let lastAssistant = -1
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!._tag === "assistant") {
      lastAssistant = i
      break
    }
  }
  let recorded = 0
  for (let i = state.transcript.length - 1; i >= 0; i--) {
    const tag = state.transcript[i]!.message._tag
    if (tag === "assistant") break
    if (tag === "user") recorded++
  }
  const pending = new Set<string>(state.pendingToolCalls.map((c) => c.id))
  const users: Array<number> = []
  const toolResults = new Map<string, number>()
  for (let i = lastAssistant + 1; i < messages.length; i++) {
    const m = messages[i]!
    if (m._tag === "user") {
      if (recorded > 0) recorded--
      else users.push(i)
    } else if (m._tag === "tool" && pending.has(m.toolCallId) && !toolResults.has(m.toolCallId)) {
      toolResults.set(m.toolCallId, i)
    }
  }
  return { users, toolResults }
}

export const proxyStarted = (input: {
  readonly sessionId: SessionId
  readonly model: ModelName
  readonly systemPrompt: string
  readonly userId?: string | undefined
}): SessionStarted =>
  unchecked(SessionStarted, {
    sessionId: input.sessionId,
    model: input.model,
    promptName: proxyPromptName,
    promptVersion: promptVersionOf(input.systemPrompt),
    heuristicIds: [],
    memoryIds: [],
    maxTurns: proxyMaxTurns,
    source: "proxy",
    ...(input.userId !== undefined ? { userId: input.userId } : {}),
    systemPrompt: input.systemPrompt,
    mode: "chat"
  })

export const modelRequested = (
  state: SessionState,
  input: {
    readonly model: ModelName
    readonly messageCount: number
    readonly toolsOffered: ReadonlyArray<ToolName>
    readonly params: ModelRequestParams
  }
): ModelRequested =>
  unchecked(ModelRequested, {
    sessionId: state.sessionId,
    turn: state.turn + 1,
    model: input.model,
    messageCount: input.messageCount,
    toolsOffered: input.toolsOffered,
    params: input.params
  })

/** The client's results for the pending calls; the replan hint is the agent loop's and has no place here. */
export const toolResultEvents = (
  state: SessionState,
  results: ReadonlyArray<ToolOutcome>,
  durationMs: number
): Either.Either<ReadonlyArray<SessionEvent>, DecideError> =>
  Either.map(
    recordToolResults(state, SessionCommand.RecordToolResults({ results, durationMs })),
    (events) => events.filter((e) => e._tag !== "ReplanHintInjected")
  )

/** The response as the agent actor records it, with the tool calls marked as the client's to run. */
export const responseEvents = (
  state: SessionState,
  input: {
    readonly response: ModelResponse
    readonly failures: ReadonlyArray<AttemptRecord>
    readonly outbound: Inspection
    readonly durationMs: number
  }
): Either.Either<ReadonlyArray<SessionEvent>, DecideError> =>
  Either.map(
    recordModelResponse(state, SessionCommand.RecordModelResponse(input)),
    (events) =>
      events.map((e) => (e._tag === "ToolCallRequested" ? unchecked(ToolCallRequested, { ...e, executor: "client" }) : e))
  )
