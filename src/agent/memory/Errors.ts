/**
 * Errors of the memory service. All cross the HTTP/RPC boundary, so they are schema errors.
 */
import { Schema } from "effect"
import { MemoryId } from "../../domain/Ids.ts"

export class MemoryNotFound extends Schema.TaggedError<MemoryNotFound>()("MemoryNotFound", {
  memoryId: MemoryId
}) {
  override get message() {
    return `no memory ${this.memoryId}`
  }
}

export class MemoryTooLarge extends Schema.TaggedError<MemoryTooLarge>()("MemoryTooLarge", {
  field: Schema.String,
  size: Schema.Int,
  limit: Schema.Int
}) {
  override get message() {
    return `${this.field} is too large: ${this.size} > ${this.limit}`
  }
}

export class InvalidMemoryInput extends Schema.TaggedError<InvalidMemoryInput>()("InvalidMemoryInput", {
  reason: Schema.String
}) {
  override get message() {
    return `invalid memory input: ${this.reason}`
  }
}

/** The embeddings endpoint failed (network, status, malformed answer). */
export class EmbedderError extends Schema.TaggedError<EmbedderError>()("EmbedderError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}
