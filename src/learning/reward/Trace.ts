/**
 * One pass over a session's (already decoded) events, collecting every fact the dimensions read. Everything
 * downstream — session reward, turn rewards, summary — is a function of this trace, so a caller that needs all
 * three folds the events once.
 */
import type { Envelope } from "../../events/Envelope.ts"
import type { SafetyAction, SafetyStage } from "../../events/catalogue/SafetyEvents.ts"
import type { TauEvent } from "../../events/TauEvent.ts"

export interface ToolTally {
  calls: number
  failures: number
  nonZeroExits: number
  retries: number
  replans: number
}

export type SafetyTally = Record<SafetyAction, Record<SafetyStage, number>>

/** How the session ended, or undefined while it is running. */
export type EndFacts =
  | { readonly kind: "completed"; readonly reason: "final_answer" | "max_turns" | "ended_by_user" }
  | { readonly kind: "abandoned" }
  | { readonly kind: "failed"; readonly reason: "model_error" | "budget_exhausted" | "safety_block" | "tool_error" | "internal" }
  | { readonly kind: "cancelled"; readonly by: "user" | "shutdown" | "operator" }

/** One user message and what the agent did about it, until the next user message. */
export interface Exchange {
  readonly request: string
  readonly turns: Array<number>
  replied: boolean
  /** The next user message, if any: the user's reaction to this exchange. */
  reaction: string | undefined
}

export interface TurnFacts {
  readonly turn: number
  readonly exchange: number
  completed: boolean
  /** From TurnCompleted. */
  reportedToolCalls: number
  reportedFailedToolCalls: number
  tokens: number
  durationMs: number
  readonly tools: ToolTally
  readonly safety: SafetyTally
  /** Latest explicit rating of this turn. */
  rating: number | undefined
}

export interface SessionTrace {
  sessionId: string | undefined
  promptName: string | undefined
  promptVersion: string | undefined
  readonly exchanges: Array<Exchange>
  /** Turns in order of first appearance. */
  readonly turns: Array<TurnFacts>
  readonly tools: ToolTally
  readonly safety: SafetyTally
  completedTurns: number
  turnTokens: number
  turnDurationMs: number
  reportedToolCalls: number
  reportedFailedToolCalls: number
  modelTokens: number
  modelLatencyMs: number
  modelCallFailures: number
  end: EndFacts | undefined
  endTurns: number
  /** Latest session-level rating. */
  sessionRating: number | undefined
  ratingCount: number
}

export const emptyToolTally = (): ToolTally => ({ calls: 0, failures: 0, nonZeroExits: 0, retries: 0, replans: 0 })

export const emptySafetyTally = (): SafetyTally => ({
  warn: { inbound: 0, tool_output: 0, outbound: 0, tool_call: 0 },
  redact: { inbound: 0, tool_output: 0, outbound: 0, tool_call: 0 },
  block: { inbound: 0, tool_output: 0, outbound: 0, tool_call: 0 }
})

export const blockCount = (tally: SafetyTally): number =>
  tally.block.inbound + tally.block.tool_output + tally.block.outbound

const addSafety = (into: SafetyTally, from: SafetyTally): void => {
  for (const action of ["warn", "redact", "block"] as const) {
    for (const stage of ["inbound", "tool_output", "outbound", "tool_call"] as const) into[action][stage] += from[action][stage]
  }
}

export type SessionInput = TauEvent | Envelope<TauEvent>

const eventOf = (input: SessionInput): TauEvent => ("_tag" in input ? input : input.event)

export const foldTrace = (inputs: ReadonlyArray<SessionInput>): SessionTrace => {
  const trace: SessionTrace = {
    sessionId: undefined,
    promptName: undefined,
    promptVersion: undefined,
    exchanges: [],
    turns: [],
    tools: emptyToolTally(),
    safety: emptySafetyTally(),
    completedTurns: 0,
    turnTokens: 0,
    turnDurationMs: 0,
    reportedToolCalls: 0,
    reportedFailedToolCalls: 0,
    modelTokens: 0,
    modelLatencyMs: 0,
    modelCallFailures: 0,
    end: undefined,
    endTurns: 0,
    sessionRating: undefined,
    ratingCount: 0
  }
  const byTurn = new Map<number, TurnFacts>()
  const callKeys = new Map<string, string>()
  const failedKeys = new Set<string>()
  let pendingSafety: SafetyTally | undefined

  const turnFacts = (turn: number): TurnFacts => {
    let facts = byTurn.get(turn)
    if (facts === undefined) {
      facts = {
        turn,
        exchange: trace.exchanges.length - 1,
        completed: false,
        reportedToolCalls: 0,
        reportedFailedToolCalls: 0,
        tokens: 0,
        durationMs: 0,
        tools: emptyToolTally(),
        safety: emptySafetyTally(),
        rating: undefined
      }
      if (pendingSafety !== undefined) {
        addSafety(facts.safety, pendingSafety)
        pendingSafety = undefined
      }
      byTurn.set(turn, facts)
      trace.turns.push(facts)
      trace.exchanges[facts.exchange]?.turns.push(turn)
    }
    return facts
  }

  for (const input of inputs) {
    const event = eventOf(input)
    switch (event._tag) {
      case "SessionStarted":
        trace.sessionId = event.sessionId
        trace.promptName = event.promptName
        trace.promptVersion = event.promptVersion
        break
      case "UserMessageReceived": {
        const previous = trace.exchanges[trace.exchanges.length - 1]
        if (previous !== undefined) previous.reaction = event.content
        trace.exchanges.push({ request: event.content, turns: [], replied: false, reaction: undefined })
        break
      }
      case "ModelResponded":
        trace.modelTokens += event.usage.totalTokens
        trace.modelLatencyMs += event.latencyMs
        break
      case "ModelCallFailed":
        trace.modelCallFailures++
        break
      case "ToolCallRequested": {
        const key = `${event.name}\u0000${event.arguments}`
        callKeys.set(event.toolCallId, key)
        if (failedKeys.has(key)) {
          trace.tools.retries++
          turnFacts(event.turn).tools.retries++
        }
        break
      }
      case "ToolCallCompleted": {
        const tools = turnFacts(event.turn).tools
        trace.tools.calls++
        tools.calls++
        if (event.exitCode !== undefined && event.exitCode !== 0) {
          trace.tools.nonZeroExits++
          tools.nonZeroExits++
        }
        break
      }
      case "ToolCallFailed": {
        const tools = turnFacts(event.turn).tools
        trace.tools.calls++
        trace.tools.failures++
        tools.calls++
        tools.failures++
        const key = callKeys.get(event.toolCallId)
        if (key !== undefined) failedKeys.add(key)
        break
      }
      case "ReplanHintInjected":
        trace.tools.replans++
        turnFacts(event.turn).tools.replans++
        break
      case "SafetyViolationDetected": {
        trace.safety[event.action][event.stage]++
        if (event.turn !== undefined) {
          turnFacts(event.turn).safety[event.action][event.stage]++
        } else {
          pendingSafety ??= emptySafetyTally()
          pendingSafety[event.action][event.stage]++
        }
        break
      }
      case "AssistantReplied": {
        turnFacts(event.turn)
        const exchange = trace.exchanges[trace.exchanges.length - 1]
        if (exchange !== undefined && event.content.trim() !== "" && event.stopReason !== "blocked") {
          exchange.replied = true
        }
        break
      }
      case "TurnCompleted": {
        const facts = turnFacts(event.turn)
        const tokens = event.promptTokens + event.completionTokens
        facts.completed = true
        facts.reportedToolCalls = event.toolCalls
        facts.reportedFailedToolCalls = event.failedToolCalls
        facts.tokens = tokens
        facts.durationMs = event.durationMs
        trace.completedTurns++
        trace.turnTokens += tokens
        trace.turnDurationMs += event.durationMs
        trace.reportedToolCalls += event.toolCalls
        trace.reportedFailedToolCalls += event.failedToolCalls
        break
      }
      case "SessionCompleted":
        trace.end = { kind: "completed", reason: event.reason }
        trace.endTurns = event.turns
        break
      case "SessionAbandoned":
        trace.end = { kind: "abandoned" }
        trace.endTurns = event.turns
        break
      case "SessionFailed":
        trace.end = { kind: "failed", reason: event.reason }
        trace.endTurns = event.turns
        break
      case "SessionCancelled":
        trace.end = { kind: "cancelled", by: event.by }
        trace.endTurns = event.turns
        break
      case "FeedbackReceived":
        trace.ratingCount++
        if (event.turn === undefined) trace.sessionRating = event.rating
        else turnFacts(event.turn).rating = event.rating
        break
      default:
        break
    }
  }
  return trace
}

/** Tool counts from tool events, or from TurnCompleted when a trace has no tool events (older or proxy logs). */
export const effectiveTools = (
  tools: ToolTally,
  reportedCalls: number,
  reportedFailures: number
): ToolTally =>
  tools.calls > 0 || reportedCalls === 0
    ? tools
    : { ...tools, calls: reportedCalls, failures: Math.min(reportedFailures, reportedCalls) }
