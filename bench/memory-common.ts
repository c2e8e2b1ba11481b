/**
 * Shared setup of the memory benchmarks: a temp SQLite database with the event log, the memory projection kept
 * live and the Memory service (hashing embedder), as a ManagedRuntime.
 */
import { Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { Embedder } from "../src/agent/memory/Embedder.ts"
import { Memory } from "../src/agent/memory/Memory.ts"
import { MemoryProjection } from "../src/agent/memory/MemoryProjection.ts"
import { defaultEventLogOptions } from "../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../src/events/sqlite/migrations.ts"
import { projectionMigrations } from "../src/projections/migrations.ts"
import { ProjectionRunner } from "../src/projections/ProjectionRunner.ts"
import { RegisteredProjections } from "../src/projections/projections.ts"
import { tempDir } from "./common.ts"

export interface EvalSet {
  readonly memories: ReadonlyArray<{ id: string; kind: string; tags: Array<string>; content: string }>
  readonly queries: ReadonlyArray<{ query: string; relevant: Array<string> }>
}

export const memoryRuntime = (options: { readonly live?: boolean } = {}) => {
  const { dir, cleanup } = tempDir("memory")
  const database = SqliteEventLog.layerWith(defaultEventLogOptions).pipe(
    Layer.provideMerge(
      SqliteDatabase.layer({
        filename: join(dir, "tau.db"),
        synchronous: "NORMAL",
        migrations: { ...sqliteEventLogMigrations, ...projectionMigrations }
      })
    )
  )
  const runner = (options.live ?? true ? ProjectionRunner.Live : ProjectionRunner.Default).pipe(
    Layer.provide(Layer.succeed(RegisteredProjections, [MemoryProjection])),
    Layer.provideMerge(database)
  )
  const layer = Memory.DefaultWithoutDependencies.pipe(
    Layer.provideMerge(Embedder.Hash),
    Layer.provideMerge(runner)
  )
  const runtime = ManagedRuntime.make(Layer.orDie(layer))
  return { runtime, cleanup }
}

export const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
