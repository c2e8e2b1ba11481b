/**
 * Errors of the typed API (`TauApi`) that are not domain errors of a service: each carries a `message` in its
 * JSON body, because the typed client is not the only reader (curl, the dashboard, other languages).
 */
import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** No language model is configured: the message says which variables to set. */
export class ModelUnavailable extends Schema.TaggedError<ModelUnavailable>()(
  "ModelUnavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503, description: "No language model is configured" })
) {}

/** The route needs a scope the caller's key does not have. */
export class ScopeRequired extends Schema.TaggedError<ScopeRequired>()(
  "ScopeRequired",
  { message: Schema.String, required: Schema.Literal("read", "write", "admin") },
  HttpApiSchema.annotations({ status: 403, description: "The API key's scope does not allow this" })
) {}

/** The session was started by another API key: only its owner (or an admin key) may write to it. */
export class SessionForbidden extends Schema.TaggedError<SessionForbidden>()(
  "SessionForbidden",
  { message: Schema.String, sessionId: Schema.String },
  HttpApiSchema.annotations({ status: 403, description: "The session belongs to another API key" })
) {}
