/**
 * Errors of the proxy recorder. They reach HTTP callers (OpenAI's error shape), so all are Schema errors.
 */
import { Schema } from "effect"
import { SessionId } from "../../domain/Ids.ts"
import { ModelFailureKind } from "../../domain/ModelCall.ts"

/**
 * The session cannot take this request now: another request on it is in flight or wrote first (one writer per
 * session), or it is not a proxy session (an agent session is continued without `tools`).
 */
export class ProxySessionConflict extends Schema.TaggedError<ProxySessionConflict>()("ProxySessionConflict", {
  sessionId: SessionId,
  reason: Schema.Literal("busy", "conflict", "not_proxy"),
  detail: Schema.String
}) {
  override get message() {
    return `session ${this.sessionId}: ${this.detail}`
  }
}

/** The model call failed (after the provider layer's retries); the failure is recorded as ModelCallFailed. */
export class ProxyModelFailed extends Schema.TaggedError<ProxyModelFailed>()("ProxyModelFailed", {
  sessionId: SessionId,
  kind: ModelFailureKind,
  message: Schema.String,
  status: Schema.optional(Schema.Int),
  retryAfterMs: Schema.optional(Schema.NonNegative)
}) {}
