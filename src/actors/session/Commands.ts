/**
 * What the session decider takes: the three public commands (send a user message, cancel, feedback; plus end
 * and abandon) and the internal inputs through which the runtime hands it the results of effects it ran
 * (model calls, tool calls, safety inspections). Results arrive as data, so `decide` stays pure and every
 * result becomes an event: replay never needs the model or the tools again.
 */
import { Data } from "effect"
import type { ModelName, ToolCallId, ToolName } from "../../domain/Ids.ts"
import type { ModelFailureKind, ModelRequestParams } from "../../domain/ModelCall.ts"
import type { ModelResponse } from "../../agent/llm/Types.ts"
import type { FailureReason, SessionMode, SessionSource } from "../../events/catalogue/SessionEvents.ts"
import type { FeedbackSource } from "../../events/catalogue/FeedbackEvents.ts"
import type { ToolFailureReason } from "../../events/catalogue/ToolEvents.ts"
import type { AssembledPrompt } from "./PromptAssembly.ts"

/** A safety inspection's outcome, as the decider needs it (the Safety service's SafetyDecision fits). */
export interface Inspection {
  readonly action: "allow" | "warn" | "redact" | "block"
  readonly rules: ReadonlyArray<string>
  readonly matches: number
  /** The text to pass on (redacted when the policy says so). */
  readonly text: string
}

export const allowed = (text: string): Inspection => ({ action: "allow", rules: [], matches: 0, text })

/** How a new session starts: given with the first message, ignored afterwards. */
export interface StartSpec {
  readonly model: ModelName
  readonly prompt: AssembledPrompt
  readonly maxTurns: number
  readonly budgetUsd?: number | undefined
  readonly workspace?: string | undefined
  readonly source: SessionSource
  readonly userId?: string | undefined
  readonly mode: SessionMode
}

/** One failed model attempt (each becomes ModelCallFailed). */
export interface AttemptRecord {
  readonly model: string
  readonly attempt: number
  readonly kind: ModelFailureKind
  readonly status?: number | undefined
  readonly message: string
  /** Whether another attempt followed. */
  readonly retrying: boolean
  readonly retryAfterMs?: number | undefined
  readonly latencyMs?: number | undefined
}

export type ToolOutcome =
  | {
    readonly _tag: "Completed"
    readonly toolCallId: ToolCallId
    readonly output: string
    readonly truncated: boolean
    readonly originalBytes: number
    readonly durationMs: number
    readonly exitCode?: number | undefined
    /** The tool_output stage's inspection of `output`. */
    readonly safety: Inspection
    /** The tool_call stage's inspection of the arguments (absent: nothing matched). */
    readonly gate?: Inspection | undefined
  }
  | {
    readonly _tag: "Failed"
    readonly toolCallId: ToolCallId
    readonly reason: ToolFailureReason
    /** Shown to the model (for invalid arguments: the parse error). */
    readonly message: string
    readonly durationMs: number
    /** The tool_call stage's inspection of the arguments (absent: nothing matched). */
    readonly gate?: Inspection | undefined
  }

export type SessionCommand = Data.TaggedEnum<{
  SendUserMessage: { readonly inbound: Inspection; readonly start?: StartSpec | undefined }
  BeginTurn: {
    readonly toolsOffered: ReadonlyArray<ToolName>
    /** Estimated tokens of the tool definitions sent with the request. */
    readonly toolsTokens: number
    readonly params: ModelRequestParams
  }
  RecordModelResponse: {
    readonly response: ModelResponse
    readonly failures: ReadonlyArray<AttemptRecord>
    /** The outbound stage's inspection of the response text (used when it becomes the reply). */
    readonly outbound: Inspection
    /** Wall time of the turn so far. */
    readonly durationMs: number
  }
  RecordModelFailure: {
    readonly failures: ReadonlyArray<AttemptRecord>
    /** The error that ended the call; recorded too when no attempt reported it. */
    readonly error: AttemptRecord
  }
  RecordToolResults: { readonly results: ReadonlyArray<ToolOutcome>; readonly durationMs: number }
  Cancel: { readonly by: "user" | "shutdown" | "operator" }
  End: {}
  Abandon: { readonly idleMs: number }
  RecordFeedback: {
    readonly rating: number
    readonly comment?: string | undefined
    readonly turn?: number | undefined
    readonly source: FeedbackSource
  }
  Fail: { readonly reason: FailureReason; readonly message: string }
}>

export const SessionCommand = Data.taggedEnum<SessionCommand>()
