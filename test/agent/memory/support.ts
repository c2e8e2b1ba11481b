/**
 * A memory world: a fresh database (SQLite file or PostgreSQL), the memory projection kept live, the Memory
 * service with the hashing embedder.
 */
import { Layer } from "effect"
import { Embedder } from "../../../src/agent/memory/Embedder.ts"
import { Memory } from "../../../src/agent/memory/Memory.ts"
import { MemoryProjection } from "../../../src/agent/memory/MemoryProjection.ts"
import type { Database } from "../../projections/support.ts"
import { world } from "../../projections/support.ts"

export const memoryWorld = (database: Database, options: { readonly live?: boolean } = {}) =>
  Memory.DefaultWithoutDependencies.pipe(
    Layer.provideMerge(Embedder.Hash),
    Layer.provideMerge(world(database, [MemoryProjection], { live: options.live ?? true }))
  )
