/**
 * Safety decisions (`session-<id>` stream, written by the session actor's safety stages). Never carries the
 * matched text: only rule ids and counts, so a secret cannot reach the log through its own detection.
 */
import { Schema } from "effect"
import { SafetyRuleId, SessionId, ToolCallId } from "../../domain/Ids.ts"
import { Turn } from "../../domain/Quantities.ts"

/** `tool_call` (a call's arguments, before it runs) was added later: widening a literal keeps stored events valid. */
export const SafetyStage = Schema.Literal("inbound", "tool_output", "outbound", "tool_call")
export type SafetyStage = typeof SafetyStage.Type

export const SafetyAction = Schema.Literal("warn", "redact", "block")
export type SafetyAction = typeof SafetyAction.Type

export class SafetyViolationDetected extends Schema.TaggedClass<SafetyViolationDetected>()("SafetyViolationDetected", {
  sessionId: SessionId,
  stage: SafetyStage,
  turn: Schema.optional(Turn),
  /** Set at the tool_call and tool_output stages. */
  toolCallId: Schema.optional(ToolCallId),
  rules: Schema.NonEmptyArray(SafetyRuleId),
  action: SafetyAction,
  matches: Schema.Int.pipe(Schema.positive())
}) {}
