/**
 * Registers the memory projection built on the configured `Embedder` in place of the default (hashing) one.
 * Needed when TAU_EMBEDDINGS=openai, so that stored vectors and query vectors share one space. Switching
 * embedders needs `tau projections rebuild memory` (vectors of another embedder are ignored by search).
 */
import { Effect, Layer } from "effect"
import { RegisteredProjections } from "../../projections/projections.ts"
import { Embedder } from "./Embedder.ts"
import { makeMemoryProjection, memoryProjectionName } from "./MemoryProjection.ts"

export const MemoryProjectionWithEmbedder = Layer.effect(
  RegisteredProjections,
  Effect.gen(function*() {
    const embedder = yield* Embedder
    const current = yield* RegisteredProjections
    return [...current.filter((p) => p.name !== memoryProjectionName), makeMemoryProjection(embedder)]
  })
)
