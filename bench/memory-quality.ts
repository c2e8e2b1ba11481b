/**
 * Retrieval quality on the labelled set bench/data/memory-eval.json: recall@5 and MRR (first relevant hit in
 * the top 10) for hybrid search versus vector-only versus full-text-only, through the real Memory service on
 * SQLite. Hybrid must beat both.
 * Run: node --import ./bin/register.mjs bench/memory-quality.ts
 */
import { Effect } from "effect"
import { readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { Memory } from "../src/agent/memory/Memory.ts"
import type { MemoryKind } from "../src/events/catalogue/MemoryEvents.ts"
import { memoryRuntime } from "./memory-common.ts"
import type { EvalSet } from "./memory-common.ts"

const data = JSON.parse(readFileSync("bench/data/memory-eval.json", "utf8")) as EvalSet
const { runtime, cleanup } = memoryRuntime()

const program = Effect.gen(function*() {
  const memory = yield* Memory
  const idOf = new Map<string, string>()
  for (const m of data.memories) {
    const out = yield* memory.record({
      scope: "global",
      kind: m.kind as MemoryKind,
      content: m.content,
      tags: m.tags,
      consolidate: false
    })
    idOf.set(out.memory.id, m.id)
  }
  const modes = ["hybrid", "vector", "lexical"] as const
  const summary: Record<string, { recallAt5: number; mrr: number }> = {}
  for (const mode of modes) {
    let recall = 0
    let mrr = 0
    for (const q of data.queries) {
      const hits = yield* memory.search(q.query, { limit: 10, mode })
      const labels = hits.map((h) => idOf.get(h.memory.id)!)
      const relevant = new Set(q.relevant)
      recall += labels.slice(0, 5).filter((l) => relevant.has(l)).length / relevant.size
      const first = labels.findIndex((l) => relevant.has(l))
      mrr += first < 0 ? 0 : 1 / (first + 1)
    }
    summary[mode] = { recallAt5: recall / data.queries.length, mrr: mrr / data.queries.length }
    console.log(
      `${mode.padEnd(8)} recall@5=${summary[mode]!.recallAt5.toFixed(3)}  MRR=${summary[mode]!.mrr.toFixed(3)}`
    )
  }
  const h = summary.hybrid!
  const ok = (["vector", "lexical"] as const).every((m) => h.recallAt5 > summary[m]!.recallAt5 && h.mrr > summary[m]!.mrr)
  console.log(`memories=${data.memories.length} queries=${data.queries.length} hybrid beats both: ${ok ? "yes" : "NO"}`)
  mkdirSync("bench/results", { recursive: true })
  writeFileSync(
    "bench/results/memory-quality.json",
    JSON.stringify({ bench: "memory-quality", at: new Date().toISOString(), memories: data.memories.length, queries: data.queries.length, summary, hybridBeatsBoth: ok }, null, 2)
  )
})

runtime.runPromise(program).finally(() => runtime.dispose().then(cleanup))
