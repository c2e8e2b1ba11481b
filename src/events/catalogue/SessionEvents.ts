/**
 * Lifecycle and conversation events of the `session-<id>` stream, written by the session actor (one writer
 * per session, guarded by the expected stream version).
 */
import { Schema } from "effect"
import {
  BulletinId,
  ExperimentId,
  HeuristicId,
  MemoryId,
  ModelName,
  PromptName,
  PromptVersionId,
  SessionId
} from "../../domain/Ids.ts"
import { Count, Millis, Turn, UnitInterval, Usd } from "../../domain/Quantities.ts"

/** Where a session came from. `proxy` = OpenAI-compatible requests carrying their own tools (recording mode). */
export const SessionSource = Schema.Literal("cli", "http", "rpc", "proxy", "channel", "dashboard", "test")
export type SessionSource = typeof SessionSource.Type

export const SessionMode = Schema.Literal("chat", "task")
export type SessionMode = typeof SessionMode.Type

export class SessionStarted extends Schema.TaggedClass<SessionStarted>()("SessionStarted", {
  sessionId: SessionId,
  /** Absolute path of the directory the agent's tools work in; absent in proxy mode (the client runs the tools). */
  workspace: Schema.optional(Schema.String),
  model: ModelName,
  promptName: PromptName,
  promptVersion: PromptVersionId,
  /** Exactly what was injected into the system prompt, so rewards can be credited to it. */
  heuristicIds: Schema.Array(HeuristicId),
  bulletinId: Schema.optional(BulletinId),
  memoryIds: Schema.optionalWith(Schema.Array(MemoryId), { default: () => [] }),
  /** Set when the prompt version was assigned by a running A/B experiment. */
  experimentId: Schema.optional(ExperimentId),
  maxTurns: Schema.Int.pipe(Schema.positive()),
  budgetUsd: Schema.optional(Usd),
  source: SessionSource,
  /** Who is talking (an API key id, a channel user), for memory scoping and per-user statistics. */
  userId: Schema.optional(Schema.String),
  /**
   * The assembled system prompt text (base prompt + bulletin + heuristics), so replay rebuilds the exact
   * transcript from this stream alone. Optional: added after the first release of the shape.
   */
  systemPrompt: Schema.optional(Schema.String),
  /** chat: stays open for more messages; task (`tau run`): completes with its first reply. Absent = chat. */
  mode: Schema.optional(SessionMode)
}) {}

export class UserMessageReceived extends Schema.TaggedClass<UserMessageReceived>()("UserMessageReceived", {
  sessionId: SessionId,
  /** Already redacted by the inbound safety stage when it found a secret. */
  content: Schema.String
}) {}

/** The agent's final answer for a user message (after the outbound safety stage). */
export class AssistantReplied extends Schema.TaggedClass<AssistantReplied>()("AssistantReplied", {
  sessionId: SessionId,
  turn: Turn,
  content: Schema.String,
  /** final_answer: the model stopped by itself; max_turns/budget: the loop was cut; blocked: safety replaced it. */
  stopReason: Schema.Literal("final_answer", "max_turns", "budget_exhausted", "blocked")
}) {}

/** One agent-loop turn ended: its model call and every tool call it requested have a result. */
export class TurnCompleted extends Schema.TaggedClass<TurnCompleted>()("TurnCompleted", {
  sessionId: SessionId,
  turn: Turn,
  toolCalls: Count,
  failedToolCalls: Count,
  promptTokens: Count,
  completionTokens: Count,
  costUsd: Schema.optional(Usd),
  durationMs: Millis,
  /** True when this turn produced the reply (no further tool calls). */
  final: Schema.Boolean
}) {}

/** Every tool call of a turn failed: a hint to change approach was added to the context (at most 2 per session). */
export class ReplanHintInjected extends Schema.TaggedClass<ReplanHintInjected>()("ReplanHintInjected", {
  sessionId: SessionId,
  turn: Turn,
  hint: Schema.String,
  /** 1 for the session's first hint, 2 for the second. */
  ordinal: Schema.Int.pipe(Schema.positive()),
  failedToolCalls: Count
}) {}

/** Older turns were replaced by a summary; the summary is recorded so replay rebuilds the same context. */
export class ContextCompacted extends Schema.TaggedClass<ContextCompacted>()("ContextCompacted", {
  sessionId: SessionId,
  turn: Turn,
  tokensBefore: Count,
  tokensAfter: Count,
  /** Turns folded into the summary: fromTurn..toTurn inclusive. */
  fromTurn: Turn,
  toTurn: Turn,
  summarizedTurns: Count,
  summary: Schema.String
}) {}

/** Cumulative cost crossed a fraction of the budget (each threshold once per session). */
export class BudgetAlertRaised extends Schema.TaggedClass<BudgetAlertRaised>()("BudgetAlertRaised", {
  sessionId: SessionId,
  turn: Turn,
  threshold: UnitInterval,
  spentUsd: Usd,
  budgetUsd: Usd
}) {}

export const CompletionReason = Schema.Literal("final_answer", "max_turns", "ended_by_user")
export type CompletionReason = typeof CompletionReason.Type

export class SessionCompleted extends Schema.TaggedClass<SessionCompleted>()("SessionCompleted", {
  sessionId: SessionId,
  reason: CompletionReason,
  turns: Count
}) {}

/** Idle past the configured timeout without ending. */
export class SessionAbandoned extends Schema.TaggedClass<SessionAbandoned>()("SessionAbandoned", {
  sessionId: SessionId,
  idleMs: Millis,
  turns: Count
}) {}

export const FailureReason = Schema.Literal("model_error", "budget_exhausted", "safety_block", "tool_error", "internal")
export type FailureReason = typeof FailureReason.Type

export class SessionFailed extends Schema.TaggedClass<SessionFailed>()("SessionFailed", {
  sessionId: SessionId,
  reason: FailureReason,
  message: Schema.String,
  turns: Count
}) {}

export class SessionCancelled extends Schema.TaggedClass<SessionCancelled>()("SessionCancelled", {
  sessionId: SessionId,
  /** user: /cancel or the API; shutdown: the server stopped before the turn finished; operator: admin action. */
  by: Schema.Literal("user", "shutdown", "operator"),
  turn: Schema.optional(Turn),
  turns: Count
}) {}
