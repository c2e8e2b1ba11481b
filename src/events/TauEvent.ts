/**
 * The event catalogue: one union per stream family and `TauEvent`, the union of every event Tau writes.
 * The classes live in src/events/catalogue/; docs/events.md lists who writes and reads each.
 */
import { Schema } from "effect"
import { FeedbackReceived } from "./catalogue/FeedbackEvents.ts"
import { ModelCallFailed, ModelRequested, ModelResponded } from "./catalogue/ModelEvents.ts"
import { SafetyViolationDetected } from "./catalogue/SafetyEvents.ts"
import {
  AssistantReplied,
  BudgetAlertRaised,
  ContextCompacted,
  ReplanHintInjected,
  SessionAbandoned,
  SessionCancelled,
  SessionCompleted,
  SessionFailed,
  SessionStarted,
  TurnCompleted,
  UserMessageReceived
} from "./catalogue/SessionEvents.ts"
import { ToolCallCompleted, ToolCallFailed, ToolCallRequested } from "./catalogue/ToolEvents.ts"

export * from "./catalogue/FeedbackEvents.ts"
export * from "./catalogue/ModelEvents.ts"
export * from "./catalogue/SafetyEvents.ts"
export * from "./catalogue/SessionEvents.ts"
export * from "./catalogue/ToolEvents.ts"

/** Everything in a `session-<id>` stream. */
export const SessionEvent = Schema.Union(
  SessionStarted,
  UserMessageReceived,
  ModelRequested,
  ModelResponded,
  ModelCallFailed,
  ToolCallRequested,
  ToolCallCompleted,
  ToolCallFailed,
  SafetyViolationDetected,
  ReplanHintInjected,
  ContextCompacted,
  BudgetAlertRaised,
  AssistantReplied,
  TurnCompleted,
  SessionCompleted,
  SessionAbandoned,
  SessionFailed,
  SessionCancelled,
  FeedbackReceived
)
export type SessionEvent = typeof SessionEvent.Type

export const TauEvent = Schema.Union(SessionEvent)
export type TauEvent = typeof TauEvent.Type
