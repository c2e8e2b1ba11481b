/**
 * Latency of top-10 hybrid search over 100,000 memory records on SQLite (p50/p99, target p50 <= 50 ms), the
 * cold first search (loads the vector cache), and write throughput of Memory.record through the log (each
 * write waits for the projection: read-your-writes), sequential and with 32 concurrent writers.
 * Run: node --import ./bin/register.mjs bench/memory-latency.ts [records=100000]
 */
import { Effect } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { Memory } from "../src/agent/memory/Memory.ts"
import { MemoryId } from "../src/domain/Ids.ts"
import { uuidv7 } from "../src/domain/Uuid.ts"
import { MemoryRecorded } from "../src/events/catalogue/MemoryEvents.ts"
import type { MemoryKind } from "../src/events/catalogue/MemoryEvents.ts"
import { EventLog } from "../src/events/EventLog.ts"
import { memoryStream } from "../src/events/Streams.ts"
import { ProjectionRunner } from "../src/projections/ProjectionRunner.ts"
import { memoryRuntime, percentile } from "./memory-common.ts"
import type { EvalSet } from "./memory-common.ts"

const records = Number(process.argv[2] ?? "100000")
const data = JSON.parse(readFileSync("bench/data/memory-eval.json", "utf8")) as EvalSet

let seed = 42
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
const vocabulary = [...new Set(data.memories.flatMap((m) => m.content.toLowerCase().split(/[^a-z0-9]+/)))].filter((w) => w.length > 2)

/** A base memory with some words swapped for others and a few added, plus a synthetic service name. */
const synthetic = (i: number) => {
  const base = pick(data.memories)
  const words = base.content.split(" ").map((w) => (random() < 0.3 ? pick(vocabulary) : w))
  for (let k = 0; k < 3; k++) words.splice(Math.floor(random() * words.length), 0, pick(vocabulary))
  return { kind: base.kind as MemoryKind, tags: base.tags, content: `${words.join(" ")} (svc-${i % 5000})` }
}

const results: Record<string, number> = {}

const populate = Effect.gen(function*() {
  const log = yield* EventLog
  const start = performance.now()
  yield* Effect.forEach(
    Array.from({ length: records }, (_, i) => i),
    (i) => {
      const s = synthetic(i)
      const id = MemoryId.make(uuidv7())
      return log.append(memoryStream(id), "no_stream", [
        new MemoryRecorded({ memoryId: id, scope: "global", kind: s.kind, content: s.content, tags: s.tags, importance: 0.5 + random() / 2, confidence: 0.8, sourceEventIds: [] })
      ])
    },
    { concurrency: 256, discard: true }
  )
  const appended = performance.now()
  yield* (yield* ProjectionRunner).catchUp("memory")
  const projected = performance.now()
  results.appendSeconds = (appended - start) / 1000
  results.projectSeconds = (projected - appended) / 1000
  console.log(`populated ${records} records: append ${results.appendSeconds.toFixed(1)} s, projection ${results.projectSeconds.toFixed(1)} s`)
})

const latency = Effect.gen(function*() {
  const memory = yield* Memory
  const cold = performance.now()
  yield* memory.search(data.queries[0]!.query, { limit: 10 })
  results.coldFirstSearchMs = performance.now() - cold
  for (let i = 0; i < 20; i++) yield* memory.search(data.queries[i % data.queries.length]!.query, { limit: 10 })
  const times: Array<number> = []
  for (let i = 0; i < 300; i++) {
    const q = data.queries[i % data.queries.length]!.query
    const t = performance.now()
    yield* memory.search(q, { limit: 10 })
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  results.searchP50Ms = percentile(times, 50)
  results.searchP99Ms = percentile(times, 99)
  console.log(
    `top-10 hybrid search over ${records}: cold first ${results.coldFirstSearchMs.toFixed(0)} ms, p50 ${results.searchP50Ms.toFixed(1)} ms, p99 ${results.searchP99Ms.toFixed(1)} ms (target p50 <= 50 ms: ${results.searchP50Ms <= 50 ? "ok" : "MISS"})`
  )
})

const writes = (count: number, concurrency: number) =>
  Effect.gen(function*() {
    const memory = yield* Memory
    const t = performance.now()
    yield* Effect.forEach(
      Array.from({ length: count }, (_, i) => synthetic(i)),
      (s) => memory.record({ scope: "global", kind: s.kind, content: s.content, tags: s.tags }),
      { concurrency, discard: true }
    )
    const rate = count / ((performance.now() - t) / 1000)
    results[`writesPerSecond_c${concurrency}`] = rate
    console.log(`Memory.record (with consolidation check, waits for the projection) x${count}, concurrency ${concurrency}: ${rate.toFixed(0)} records/s`)
  })

const main = async () => {
  const big = memoryRuntime({ live: false })
  try {
    await big.runtime.runPromise(Effect.zipRight(populate, latency))
  } finally {
    await big.runtime.dispose()
    big.cleanup()
  }
  const small = memoryRuntime({ live: true })
  try {
    await small.runtime.runPromise(Effect.zipRight(writes(1000, 1), writes(2000, 32)))
  } finally {
    await small.runtime.dispose()
    small.cleanup()
  }
  mkdirSync("bench/results", { recursive: true })
  writeFileSync("bench/results/memory-latency.json", JSON.stringify({ bench: "memory-latency", at: new Date().toISOString(), node: process.version, records, results }, null, 2))
}

void main()
