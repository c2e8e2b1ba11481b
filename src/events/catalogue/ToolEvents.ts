/**
 * Tool calls of a session (`session-<id>` stream, written by the session actor). Outputs are stored after
 * the tool-output safety stage and truncated to the policy's cap; the original size is kept for statistics.
 */
import { Schema } from "effect"
import { SessionId, ToolCallId, ToolName } from "../../domain/Ids.ts"
import { Count, Millis, Turn } from "../../domain/Quantities.ts"

/** server: Tau's own tool registry ran it; client: proxy mode, the calling client ran it and sent the result. */
export const ToolExecutor = Schema.Literal("server", "client")
export type ToolExecutor = typeof ToolExecutor.Type

export class ToolCallRequested extends Schema.TaggedClass<ToolCallRequested>()("ToolCallRequested", {
  sessionId: SessionId,
  turn: Turn,
  toolCallId: ToolCallId,
  name: ToolName,
  /** The model's JSON text, as sent (validated against the tool's schema afterwards). */
  arguments: Schema.String,
  executor: ToolExecutor
}) {}

export class ToolCallCompleted extends Schema.TaggedClass<ToolCallCompleted>()("ToolCallCompleted", {
  sessionId: SessionId,
  turn: Turn,
  toolCallId: ToolCallId,
  name: ToolName,
  output: Schema.String,
  truncated: Schema.Boolean,
  /** UTF-8 size of the output before truncation. */
  originalBytes: Count,
  durationMs: Millis,
  /** For run_command: the process exit code (a non-zero exit is still a completed call). */
  exitCode: Schema.optional(Schema.Int)
}) {}

export const ToolFailureReason = Schema.Literal("invalid_arguments", "unknown_tool", "policy_denied", "timeout", "error")
export type ToolFailureReason = typeof ToolFailureReason.Type

export class ToolCallFailed extends Schema.TaggedClass<ToolCallFailed>()("ToolCallFailed", {
  sessionId: SessionId,
  turn: Turn,
  toolCallId: ToolCallId,
  name: ToolName,
  reason: ToolFailureReason,
  /** What the model is shown (for invalid_arguments: the parse error). */
  message: Schema.String,
  durationMs: Millis
}) {}
