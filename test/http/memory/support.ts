/** The memory world of the interface tests: a fresh SQLite file, the memory projection live, the Memory service. */
import { Effect, Layer } from "effect"
import { sqliteBackend } from "../../projections/support.ts"
import { memoryWorld } from "../../agent/memory/support.ts"

export const sqliteMemory = Layer.unwrapScoped(Effect.map(sqliteBackend.fresh, (database) => memoryWorld(database())))
