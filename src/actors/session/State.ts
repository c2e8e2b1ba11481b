/**
 * The session actor's state and `evolve`: a pure fold of the session's events. Everything the decider needs,
 * the transcript included, comes from events, so a state rebuilt from the log equals the live one.
 */
import type { SessionId } from "../../domain/Ids.ts"
import type { ToolCall } from "../../domain/ModelCall.ts"
import type { SessionEvent, SessionMode, SessionStarted } from "../../events/TauEvent.ts"
import type { CompactionSettings } from "./Compaction.ts"
import { defaultCompaction } from "./Compaction.ts"
import { defaultAlertThresholds } from "./Budget.ts"
import type { Transcript } from "./Transcript.ts"
import { applyCompaction, assistantEntry, replanEntry, toolEntry, userEntry } from "./Transcript.ts"

/**
 * new: no events; idle: waiting for a user message; ready: the next step is a model call; awaiting_model: a
 * model call was requested and has no result; awaiting_tools: tool calls were requested and lack results.
 */
export type SessionStatus = "new" | "idle" | "ready" | "awaiting_model" | "awaiting_tools" | "ended"

/** Policy constants that are not in the log (they shape decisions, never the transcript). */
export interface DeciderSettings {
  readonly maxReplans: number
  readonly budgetAlertThresholds: ReadonlyArray<number>
  readonly compaction: CompactionSettings
}

export const defaultDeciderSettings: DeciderSettings = {
  maxReplans: 2,
  budgetAlertThresholds: defaultAlertThresholds,
  compaction: defaultCompaction
}

export interface TurnTally {
  readonly toolCalls: number
  readonly failedToolCalls: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly costUsd: number
}

const emptyTally: TurnTally = { toolCalls: 0, failedToolCalls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 }

export interface SessionState {
  readonly sessionId: SessionId
  readonly settings: DeciderSettings
  readonly status: SessionStatus
  readonly started: SessionStarted | undefined
  readonly mode: SessionMode
  readonly systemPrompt: string
  readonly transcript: Transcript
  /** The last turn started (number of ModelRequested events); 0 before the first. */
  readonly turn: number
  /** Turns of the current user message's run. */
  readonly runTurns: number
  readonly tally: TurnTally
  /** Tool calls of the current turn, requested and without a result yet, in request order. */
  readonly pendingToolCalls: ReadonlyArray<ToolCall>
  readonly lastModelContent: string
  readonly replansUsed: number
  readonly spentUsd: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly alertsRaised: ReadonlyArray<number>
  readonly ending: SessionEvent["_tag"] | undefined
  readonly feedbackCount: number
}

export const initialState = (sessionId: SessionId, settings: DeciderSettings = defaultDeciderSettings): SessionState => ({
  sessionId,
  settings,
  status: "new",
  started: undefined,
  mode: "chat",
  systemPrompt: "",
  transcript: [],
  turn: 0,
  runTurns: 0,
  tally: emptyTally,
  pendingToolCalls: [],
  lastModelContent: "",
  replansUsed: 0,
  spentUsd: 0,
  promptTokens: 0,
  completionTokens: 0,
  alertsRaised: [],
  ending: undefined,
  feedbackCount: 0
})

const live = (state: SessionState, status: SessionStatus): SessionStatus => (state.status === "ended" ? "ended" : status)

export const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  switch (event._tag) {
    case "SessionStarted":
      return {
        ...state,
        status: "idle",
        started: event,
        mode: event.mode ?? "chat",
        systemPrompt: event.systemPrompt ?? ""
      }
    case "UserMessageReceived":
      return {
        ...state,
        status: live(state, "ready"),
        runTurns: 0,
        transcript: [...state.transcript, userEntry(event, state.turn + 1)]
      }
    case "ContextCompacted":
      return { ...state, transcript: applyCompaction(state.transcript, event) }
    case "ModelRequested":
      return {
        ...state,
        status: live(state, "awaiting_model"),
        turn: event.turn,
        runTurns: state.runTurns + 1,
        tally: emptyTally,
        pendingToolCalls: []
      }
    case "ModelCallFailed":
      return state
    case "ModelResponded": {
      const cost = event.costUsd ?? 0
      return {
        ...state,
        transcript: [...state.transcript, assistantEntry(event)],
        lastModelContent: event.content,
        spentUsd: state.spentUsd + cost,
        promptTokens: state.promptTokens + event.usage.promptTokens,
        completionTokens: state.completionTokens + event.usage.completionTokens,
        tally: {
          ...state.tally,
          promptTokens: state.tally.promptTokens + event.usage.promptTokens,
          completionTokens: state.tally.completionTokens + event.usage.completionTokens,
          costUsd: state.tally.costUsd + cost
        }
      }
    }
    case "ToolCallRequested":
      return {
        ...state,
        status: live(state, "awaiting_tools"),
        pendingToolCalls: [...state.pendingToolCalls, { id: event.toolCallId, name: event.name, arguments: event.arguments }],
        tally: { ...state.tally, toolCalls: state.tally.toolCalls + 1 }
      }
    case "ToolCallCompleted":
    case "ToolCallFailed":
      return {
        ...state,
        transcript: [...state.transcript, toolEntry(event)],
        pendingToolCalls: state.pendingToolCalls.filter((c) => c.id !== event.toolCallId),
        tally: event._tag === "ToolCallFailed"
          ? { ...state.tally, failedToolCalls: state.tally.failedToolCalls + 1 }
          : state.tally
      }
    case "SafetyViolationDetected":
      return state
    case "ReplanHintInjected":
      return { ...state, replansUsed: event.ordinal, transcript: [...state.transcript, replanEntry(event)] }
    case "BudgetAlertRaised":
      return { ...state, alertsRaised: [...state.alertsRaised, event.threshold] }
    case "AssistantReplied":
      return { ...state, status: live(state, "idle") }
    case "TurnCompleted":
      return { ...state, status: live(state, event.final ? "idle" : "ready") }
    case "SessionCompleted":
    case "SessionAbandoned":
    case "SessionFailed":
    case "SessionCancelled":
      return { ...state, status: "ended", ending: event._tag, pendingToolCalls: [] }
    case "FeedbackReceived":
      return { ...state, feedbackCount: state.feedbackCount + 1 }
  }
}

export const foldEvents = (state: SessionState, events: ReadonlyArray<SessionEvent>): SessionState =>
  events.reduce(evolve, state)
