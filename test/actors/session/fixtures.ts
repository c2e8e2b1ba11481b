/**
 * Given/When/Then for the session decider, and builders for the data the runtime would pass in.
 */
import { Either, Schema } from "effect"
import { expect } from "vitest"
import { ModelName, SessionId, ToolCallId, ToolName } from "../../../src/domain/Ids.ts"
import { ModelResponse } from "../../../src/agent/llm/Types.ts"
import { SessionEvent } from "../../../src/events/TauEvent.ts"
import type { Inspection, StartSpec, ToolOutcome } from "../../../src/actors/session/Commands.ts"
import { allowed, SessionCommand } from "../../../src/actors/session/Commands.ts"
import type { Decision } from "../../../src/actors/session/Decider.ts"
import { decide } from "../../../src/actors/session/Decider.ts"
import { assemblePrompt, emptyInputs } from "../../../src/actors/session/PromptAssembly.ts"
import type { DeciderSettings, SessionState } from "../../../src/actors/session/State.ts"
import { defaultDeciderSettings, foldEvents, initialState } from "../../../src/actors/session/State.ts"

export const sessionId = SessionId.make("s-test")

export const startSpec = (overrides: Partial<StartSpec> = {}): StartSpec => ({
  model: ModelName.make("test-model"),
  prompt: assemblePrompt(emptyInputs),
  maxTurns: 8,
  source: "test",
  workspace: "/tmp/ws",
  mode: "chat",
  ...overrides
})

export const send = (text: string, start?: StartSpec, inbound: Inspection = allowed(text)) =>
  SessionCommand.SendUserMessage({ inbound, ...(start !== undefined ? { start } : {}) })

export const beginTurn = (toolsTokens = 0) =>
  SessionCommand.BeginTurn({
    toolsOffered: [ToolName.make("read_file")],
    toolsTokens,
    params: { stream: false, logprobs: false }
  })

export interface CallSpec {
  readonly id: string
  readonly name?: string
  readonly arguments?: string
}

export const response = (
  content: string,
  calls: ReadonlyArray<CallSpec> = [],
  extra: Partial<ConstructorParameters<typeof ModelResponse>[0]> = {}
) =>
  new ModelResponse({
    model: ModelName.make("test-model"),
    content,
    toolCalls: calls.map((c) => ({
      id: ToolCallId.make(c.id),
      name: ToolName.make(c.name ?? "read_file"),
      arguments: c.arguments ?? "{}"
    })),
    finishReason: calls.length > 0 ? "tool_calls" : "stop",
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    latencyMs: 12,
    costUsd: 0,
    attempts: 1,
    ...extra
  })

export const responded = (r: ModelResponse, outbound: Inspection = allowed(r.content), durationMs = 20) =>
  SessionCommand.RecordModelResponse({ response: r, failures: [], outbound, durationMs })

export const completed = (id: string, output: string, safety: Inspection = allowed(output)): ToolOutcome => ({
  _tag: "Completed",
  toolCallId: ToolCallId.make(id),
  output,
  truncated: false,
  originalBytes: output.length,
  durationMs: 3,
  safety
})

export const failed = (id: string, message = "boom", reason: "invalid_arguments" | "error" = "error"): ToolOutcome => ({
  _tag: "Failed",
  toolCallId: ToolCallId.make(id),
  reason,
  message,
  durationMs: 2
})

export const toolResults = (...results: ReadonlyArray<ToolOutcome>) =>
  SessionCommand.RecordToolResults({ results, durationMs: 30 })

/** Runs commands from a fresh (or given) state; each must be accepted. Returns every event and the state. */
export const run = (
  commands: ReadonlyArray<SessionCommand>,
  settings: DeciderSettings = defaultDeciderSettings,
  from: SessionState = initialState(sessionId, settings)
) => {
  let state = from
  const events: Array<SessionEvent> = []
  for (const command of commands) {
    const decision = decide(command, state)
    if (Either.isLeft(decision)) throw new Error(`${command._tag} refused: ${decision.left.message}`)
    events.push(...decision.right)
    state = foldEvents(state, decision.right)
  }
  return { events, state }
}

/** given(events).when(command) → the decision, on the state folded from `events`. */
export const given = (events: ReadonlyArray<SessionEvent>, settings: DeciderSettings = defaultDeciderSettings) => {
  const state = foldEvents(initialState(sessionId, settings), events)
  return {
    state,
    when: (command: SessionCommand): Decision => decide(command, state)
  }
}

export const tags = (decision: Decision): ReadonlyArray<string> => {
  if (Either.isLeft(decision)) throw new Error(`refused: ${decision.left.message}`)
  return decision.right.map((e) => e._tag)
}

export const accepted = (decision: Decision): ReadonlyArray<SessionEvent> => {
  if (Either.isLeft(decision)) throw new Error(`refused: ${decision.left.message}`)
  return decision.right
}

export const refusedWith = (decision: Decision, tag: string) => {
  expect(Either.isLeft(decision)).toBe(true)
  if (Either.isLeft(decision)) expect(decision.left._tag).toBe(tag)
}

/** Through the log's JSON shape and back, as a replay after a restart sees the events. */
const encode = Schema.encodeSync(Schema.Array(SessionEvent))
const decode = Schema.decodeUnknownSync(Schema.Array(SessionEvent))
export const roundTrip = (events: ReadonlyArray<SessionEvent>): ReadonlyArray<SessionEvent> =>
  decode(JSON.parse(JSON.stringify(encode(events))))
