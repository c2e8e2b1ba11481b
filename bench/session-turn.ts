/**
 * An agent turn (`Sessions.ask` → the loopback model, non-streaming, a new session per ask) with everything a
 * gateway process runs beside it — every projection live, the reward actor, the memory tools
 * (`TauAgentSqlite`) — against the same turn on a bare log (Sessions alone), in the same process, in
 * alternating slices (bench/common.ts `interleaved`). Both on SQLite with synchronous=FULL and the background
 * flush `tau serve` uses. No HTTP: this isolates what the background work costs a turn.
 *   p50 at 1 ask at a time: ratio = bare p50 / full p50     goal >= 0.75 (background work <= 1/4 of a turn)
 *   throughput at 50 asks at a time: ratio = full / bare
 * Run: npm run bench:turn   (or: node --import ./bin/register.mjs bench/session-turn.ts [scale])
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { Sessions } from "../src/actors/session/Sessions.ts"
import { TauAgentSqlite } from "../src/layers/Tau.ts"
import * as Database from "../src/layers/Database.ts"
import { startLoopbackModel } from "../test/support/LoopbackModel.ts"
import { interleaved, report, tempDir, writeResults } from "./common.ts"

const scale = Number(process.argv[2] ?? "1")
const SLICES = 10
const SEQUENTIAL_PER_SLICE = Math.round(80 * scale)
const CONCURRENT_PER_SLICE = Math.round(300 * scale)
const CONCURRENCY = 50

const percentile = (values: Array<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN
}

const main = async () => {
  const lb = await startLoopbackModel({ models: ["bench-model"] })
  const { dir, cleanup } = tempDir("turn")
  const config = Layer.setConfigProvider(lb.configProvider())
  const full = ManagedRuntime.make(
    TauAgentSqlite({ filename: join(dir, "full.db"), flush: "background" }).pipe(Layer.provide(config), Layer.orDie)
  )
  const bare = ManagedRuntime.make(
    Sessions.Default.pipe(
      Layer.provideMerge(Database.sqlite({ filename: join(dir, "bare.db"), flush: "background" })),
      Layer.provide(config),
      Layer.orDie
    )
  )
  const asks = (rt: typeof full | typeof bare, n: number, concurrency: number, latencies?: Array<number>) =>
    rt.runPromise(Effect.gen(function*() {
      const sessions = yield* Sessions
      yield* Effect.forEach(Array.from({ length: n }), () =>
        Effect.gen(function*() {
          const started = performance.now()
          yield* sessions.ask("hello there", { source: "http" })
          latencies?.push(performance.now() - started)
        }), { concurrency, discard: true })
    }))
  try {
    // Warm both (JIT, page cache, projections created) before measuring.
    for (let i = 0; i < 3; i++) {
      await asks(bare, 200, 1)
      await asks(full, 200, 1)
    }
    const bareLatencies: Array<number> = []
    const fullLatencies: Array<number> = []
    await interleaved(
      SLICES,
      () => asks(bare, SEQUENTIAL_PER_SLICE, 1, bareLatencies),
      () => asks(full, SEQUENTIAL_PER_SLICE, 1, fullLatencies)
    )
    const concurrent = await interleaved(
      SLICES,
      () => asks(bare, CONCURRENT_PER_SLICE, CONCURRENCY),
      () => asks(full, CONCURRENT_PER_SLICE, CONCURRENCY)
    )
    const bareP50 = percentile(bareLatencies, 0.5)
    const fullP50 = percentile(fullLatencies, 0.5)
    console.log(
      `Sessions.ask, loopback model, SQLite FULL + background flush (scale ${scale}): ` +
        `1 at a time p50 full ${fullP50.toFixed(2)} ms / bare ${bareP50.toFixed(2)} ms, ` +
        `p99 full ${percentile(fullLatencies, 0.99).toFixed(2)} ms / bare ${percentile(bareLatencies, 0.99).toFixed(2)} ms`
    )
    // Reported as rates (asks/s at p50) so that higher is better on both sides, like every other line.
    report("turn p50, 1 at a time (full vs bare; asks/s at p50)", "asks/s", 1000 / fullP50, 1000 / bareP50, 0.75,
      "goal: background work at most 1/4 of a turn")
    const perSide = SLICES * CONCURRENT_PER_SLICE
    report(`turn throughput, ${CONCURRENCY} at a time (full vs bare)`, "asks/s", (perSide / concurrent.tau) * 1000,
      (perSide / concurrent.raw) * 1000, 0.75)
    writeResults("session-turn")
  } finally {
    await full.dispose()
    await bare.dispose()
    await lb.close()
    cleanup()
  }
}

await main()
