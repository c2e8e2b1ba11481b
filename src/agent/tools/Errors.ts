/**
 * Errors of the tool layer. `ToolError` crosses into the event log (ToolCallFailed) and is shown to the
 * model, so it is a Schema error whose `message` is written for the model to act on.
 */
import { Data, Schema } from "effect"
import type { ToolFailureReason } from "../../events/catalogue/ToolEvents.ts"

export const ToolErrorReason = Schema.Literal("invalid_arguments", "policy_denied", "timeout", "not_found", "failed")
export type ToolErrorReason = typeof ToolErrorReason.Type

export class ToolError extends Schema.TaggedError<ToolError>()("ToolError", {
  tool: Schema.String,
  reason: ToolErrorReason,
  message: Schema.String,
  /** Set by the registry: wall time from argument decoding to failure. */
  durationMs: Schema.optional(Schema.Number),
  /** Set (with reason not_found) when the model named a tool that is not registered. */
  unknownTool: Schema.optional(Schema.Boolean)
}) {}

/** The reason recorded in a ToolCallFailed event. */
export const failureReasonOf = (error: ToolError): ToolFailureReason => {
  switch (error.reason) {
    case "invalid_arguments":
    case "policy_denied":
    case "timeout":
      return error.reason
    case "not_found":
      return error.unknownTool === true ? "unknown_tool" : "error"
    case "failed":
      return "error"
  }
}

/** A tool could not be registered (bad name, or the name is taken). Fails the registering layer at startup. */
export class ToolRegistrationError extends Data.TaggedError("ToolRegistrationError")<{
  readonly name: string
  readonly reason: "invalid_name" | "duplicate_name" | "invalid_parameters"
  readonly detail?: string
}> {
  override get message() {
    switch (this.reason) {
      case "invalid_name":
        return `tool name "${this.name}" must match ^[A-Za-z0-9_-]{1,64}$`
      case "duplicate_name":
        return `a tool named "${this.name}" is already registered`
      case "invalid_parameters":
        return `tool "${this.name}": parameters must be a Schema.Struct with a JSON schema (${this.detail ?? ""})`
    }
  }
}
