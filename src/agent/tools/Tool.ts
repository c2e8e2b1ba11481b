/**
 * A tool: a name, a description, a Schema for its parameters (the model sees it as JSON schema) and an
 * Effect handler. Handlers fail only with ToolError; the registry turns defects into ToolError too.
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import type { EventId, SessionId } from "../../domain/Ids.ts"
import type { ToolError } from "./Errors.ts"
import type { ToolPolicy } from "./Policy.ts"
import type { Workspace } from "./Workspace.ts"

export const MetadataValue = Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.Null)
export const ToolMetadata = Schema.Record({ key: Schema.String, value: MetadataValue })
export type ToolMetadata = typeof ToolMetadata.Type

/** What a completed tool call returns; the session actor records these fields in ToolCallCompleted. */
export class ToolResult extends Schema.Class<ToolResult>("ToolResult")({
  output: Schema.String,
  truncated: Schema.Boolean,
  originalBytes: Schema.Int,
  durationMs: Schema.Number,
  metadata: Schema.optional(ToolMetadata)
}) {}

/** What a handler returns: plain text, or text with metadata (and its own truncation, if it capped it). */
export interface ToolOutput {
  readonly output: string
  readonly metadata?: ToolMetadata
  readonly truncated?: boolean
  readonly originalBytes?: number
}

/** Where the session runs a call: given by the caller of `ToolRegistry.run`. */
export interface RunContext {
  readonly workspace: string
  readonly sessionId: SessionId
  /** The event that asked for the call (ToolCallRequested): tools that append events cite it as causation. */
  readonly causationId?: EventId | undefined
}

/** What a handler receives besides its arguments. */
export interface ToolContext {
  readonly tool: string
  readonly sessionId: SessionId
  /** See RunContext.causationId. */
  readonly causationId?: EventId | undefined
  readonly workspace: Workspace
  readonly policy: ToolPolicy
  /** The allowlisted environment for child processes (never the full process environment). */
  readonly environment: Readonly<Record<string, string>>
}

export interface Tool<A, I = unknown, R = never> {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema<A, I, never>
  readonly handler: (args: A, context: ToolContext) => Effect.Effect<string | ToolOutput, ToolError, R>
  /** Timeout of one call; defaults to the policy's `toolTimeoutMs`. */
  readonly timeoutMs?: (args: A, policy: ToolPolicy) => number
  /** Output cap in bytes; defaults to the policy's `maxOutputBytes`. */
  readonly outputCap?: (policy: ToolPolicy) => number
}

/** A tool with its argument type erased, as the registry stores it. */
export interface AnyTool<R = never> {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema<unknown, unknown, never>
  readonly handler: (args: unknown, context: ToolContext) => Effect.Effect<string | ToolOutput, ToolError, R>
  readonly timeoutMs?: (args: unknown, policy: ToolPolicy) => number
  readonly outputCap?: (policy: ToolPolicy) => number
}

/**
 * Defines a tool. `parameters` should be a `Schema.Struct` (the model is given an object schema); annotate
 * fields with `description` so the model knows what they mean.
 */
export const make = <A, I, R = never>(tool: Tool<A, I, R>): AnyTool<R> => tool as unknown as AnyTool<R>
