/**
 * What `tau memory …` runs on: the Memory service over the configured database, with a projection runner that
 * runs nothing in the background (writes catch the memory projection up themselves; reads catch up first). The
 * memory projection uses the configured embedder, so vectors written here share the server's space.
 */
import { Layer } from "effect"
import { Embedder } from "../../agent/memory/Embedder.ts"
import { Memory } from "../../agent/memory/Memory.ts"
import { MemoryProjectionWithEmbedder } from "../../agent/memory/MemoryProjectionLayer.ts"
import { EventLogLive } from "../../layers/Tau.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"

const runner = ProjectionRunner.Default.pipe(Layer.provide(MemoryProjectionWithEmbedder), Layer.provide(Embedder.Default))

export const MemoryCommandsLive = Memory.DefaultWithoutDependencies.pipe(
  Layer.provideMerge(Layer.merge(runner, Embedder.Default)),
  Layer.provideMerge(EventLogLive)
)
