/**
 * The event catalogue: one union per stream family and `TauEvent`, the union of every event Tau writes.
 * The classes live in src/events/catalogue/; docs/events.md lists who writes and reads each.
 */
import { Schema } from "effect"
import {
  BulletinPublished,
  HeuristicLearned,
  HeuristicReinforced,
  HeuristicRetired,
  HeuristicWeakened
} from "./catalogue/CortexEvents.ts"
import { ExperimentConcluded, ExperimentStarted } from "./catalogue/ExperimentEvents.ts"
import { FeedbackReceived } from "./catalogue/FeedbackEvents.ts"
import { ApiKeyCreated, ApiKeyRevoked, RequestAudited } from "./catalogue/GatewayEvents.ts"
import {
  MemoriesMerged,
  MemoryDeleted,
  MemoryLinked,
  MemoryRecorded,
  MemoryRestored,
  MemoryUpdated
} from "./catalogue/MemoryEvents.ts"
import { ModelCallFailed, ModelRequested, ModelResponded } from "./catalogue/ModelEvents.ts"
import { PromptAdopted, PromptCandidateProposed, PromptRolledBack } from "./catalogue/PromptEvents.ts"
import { RewardAssigned } from "./catalogue/RewardEvents.ts"
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
import { CurriculumUpdated, PolicyUpdateComputed, TrainingPaused, TrainingResumed } from "./catalogue/TrainerEvents.ts"

export * from "./catalogue/CortexEvents.ts"
export * from "./catalogue/ExperimentEvents.ts"
export * from "./catalogue/FeedbackEvents.ts"
export * from "./catalogue/GatewayEvents.ts"
export * from "./catalogue/MemoryEvents.ts"
export * from "./catalogue/ModelEvents.ts"
export * from "./catalogue/PromptEvents.ts"
export * from "./catalogue/RewardEvents.ts"
export * from "./catalogue/SafetyEvents.ts"
export * from "./catalogue/SessionEvents.ts"
export * from "./catalogue/ToolEvents.ts"
export * from "./catalogue/TrainerEvents.ts"

/** Everything in a `session-<id>` stream: lifecycle, model and tool calls, safety, feedback. */
const sessionEventMembers = [
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
] as const
export const SessionEvent = Schema.Union(...sessionEventMembers)
export type SessionEvent = typeof SessionEvent.Type

/** Session-ending events: exactly one per finished session. */
export const SessionEnded = Schema.Union(SessionCompleted, SessionAbandoned, SessionFailed, SessionCancelled)
export type SessionEnded = typeof SessionEnded.Type

const memoryEventMembers = [
  MemoryRecorded,
  MemoryUpdated,
  MemoryLinked,
  MemoryDeleted,
  MemoryRestored,
  MemoriesMerged
] as const
export const MemoryEvent = Schema.Union(...memoryEventMembers)
export type MemoryEvent = typeof MemoryEvent.Type

export const RewardEvent = Schema.Union(RewardAssigned)
export type RewardEvent = typeof RewardEvent.Type

const cortexEventMembers = [
  HeuristicLearned,
  HeuristicReinforced,
  HeuristicWeakened,
  HeuristicRetired,
  BulletinPublished
] as const
export const CortexEvent = Schema.Union(...cortexEventMembers)
export type CortexEvent = typeof CortexEvent.Type

const trainerEventMembers = [PolicyUpdateComputed, TrainingPaused, TrainingResumed, CurriculumUpdated] as const
export const TrainerEvent = Schema.Union(...trainerEventMembers)
export type TrainerEvent = typeof TrainerEvent.Type

const promptEventMembers = [PromptCandidateProposed, PromptAdopted, PromptRolledBack] as const
export const PromptEvent = Schema.Union(...promptEventMembers)
export type PromptEvent = typeof PromptEvent.Type

const experimentEventMembers = [ExperimentStarted, ExperimentConcluded] as const
export const ExperimentEvent = Schema.Union(...experimentEventMembers)
export type ExperimentEvent = typeof ExperimentEvent.Type

const gatewayEventMembers = [ApiKeyCreated, ApiKeyRevoked, RequestAudited] as const
/** API keys (`apikey-<id>`) and the request audit trail (`audit-<date>`). */
export const GatewayEvent = Schema.Union(...gatewayEventMembers)
export type GatewayEvent = typeof GatewayEvent.Type

/** Flat (not a union of unions) so decoding finds the member by `_tag` in one lookup. */
export const TauEvent = Schema.Union(
  ...sessionEventMembers,
  ...memoryEventMembers,
  RewardAssigned,
  ...cortexEventMembers,
  ...trainerEventMembers,
  ...promptEventMembers,
  ...experimentEventMembers,
  ...gatewayEventMembers
)
export type TauEvent = typeof TauEvent.Type

/** Every event type name, in catalogue order. */
export type TauEventType = TauEvent["_tag"]
