/**
 * Authorization of RPC calls (definitions only, shared with clients): the `RpcAuth` middleware every Tau RPC
 * carries, the scope each operation needs (an annotation, `admin` when absent) and the two errors it fails with.
 * The server side (who the bearer key belongs to) is in AuthLive.ts.
 */
import { RpcMiddleware } from "@effect/rpc"
import { Context, Schema } from "effect"
import { KeyScope } from "../../events/catalogue/GatewayEvents.ts"

/** The scope an operation needs; operations without the annotation need admin, so a forgotten one fails closed. */
export class RequiredScope extends Context.Reference<RequiredScope>()("app/http/rpc/RequiredScope", {
  defaultValue: (): KeyScope => "admin"
}) {}

/** The call carried no bearer key, or one that is unknown or revoked. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  reason: Schema.Literal("missing_key", "invalid_key")
}) {
  override get message() {
    return this.reason === "missing_key"
      ? "Missing API key: send `authorization: Bearer <key>` (create one with `tau keys create`)"
      : "Invalid or revoked API key"
  }
}

/** The key is valid but its scope does not include what the operation needs. */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  operation: Schema.String,
  required: KeyScope,
  scope: KeyScope
}) {
  override get message() {
    return `This key has scope "${this.scope}"; ${this.operation} needs "${this.required}"`
  }
}

/**
 * Authenticates the call from its `authorization` header (over websockets, the upgrade request's headers, which
 * the server adds to every message), checks the operation's scope and runs the handler with `CurrentCaller` set.
 */
export class RpcAuth extends RpcMiddleware.Tag<RpcAuth>()("app/http/rpc/RpcAuth", {
  failure: Schema.Union(Unauthorized, Forbidden),
  wrap: true
}) {}
