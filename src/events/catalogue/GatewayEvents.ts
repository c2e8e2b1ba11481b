/**
 * Gateway events: API keys (`apikey-<keyId>` stream, written by `tau keys` and the admin API; read by the
 * api_keys projection the gateway authenticates against) and the request audit trail (`audit-<yyyy-mm-dd>`
 * streams, written in batches by the gateway; read by the audit projection).
 *
 * A key's secret never enters the log: only its scrypt hash and salt do.
 */
import { Schema } from "effect"
import { ApiKeyId, SessionId } from "../../domain/Ids.ts"
import { Count, Millis } from "../../domain/Quantities.ts"

/** What a key may do: read < write < admin (each includes the ones before it). */
export const KeyScope = Schema.Literal("read", "write", "admin")
export type KeyScope = typeof KeyScope.Type

/** An scrypt hash of a key's secret, with the parameters needed to verify it. */
export const KeyHash = Schema.Struct({
  algorithm: Schema.Literal("scrypt"),
  /** base64 */
  salt: Schema.String,
  /** base64 */
  hash: Schema.String,
  N: Count,
  r: Count,
  p: Count
})
export type KeyHash = typeof KeyHash.Type

export class ApiKeyCreated extends Schema.TaggedClass<ApiKeyCreated>()("ApiKeyCreated", {
  keyId: ApiKeyId,
  name: Schema.String.pipe(Schema.maxLength(200)),
  scope: KeyScope,
  secretHash: KeyHash
}) {}

export class ApiKeyRevoked extends Schema.TaggedClass<ApiKeyRevoked>()("ApiKeyRevoked", {
  keyId: ApiKeyId,
  reason: Schema.optional(Schema.String.pipe(Schema.maxLength(1000)))
}) {}

/** One HTTP or RPC request the gateway answered (also refused ones: 401, 403, 404, 413, 429). */
export class RequestAudited extends Schema.TaggedClass<RequestAudited>()("RequestAudited", {
  requestId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100)),
  /** Absent when the request carried no valid key (or auth is off). */
  keyId: Schema.optional(ApiKeyId),
  method: Schema.String.pipe(Schema.maxLength(16)),
  /** The path without its query string (never the query: it may hold secrets). */
  route: Schema.String.pipe(Schema.maxLength(2000)),
  sessionId: Schema.optional(SessionId),
  status: Schema.Int.pipe(Schema.between(100, 599)),
  latencyMs: Millis,
  /** When the request arrived, epoch ms up to the end of year 9999 (the envelope's recordedAt is when the batch was written). */
  startedAt: Schema.Int.pipe(Schema.between(0, 253_402_300_799_999))
}) {}
