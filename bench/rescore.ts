/**
 * Counterfactual rescoring throughput (target >= 10,000 sessions per minute): N generated sessions (catalogue
 * classes, 1-3 exchanges, tool calls, safety events, feedback, every kind of ending) in a SQLite log; then
 * (1) the reward actor catches up on all of them (live rewards appended), (2) `Rescorer.rescore` with another
 * configuration replays the whole log and writes `tau_rescores`. Prints sessions per minute and the ratio to
 * the target. Run: node --import ./bin/register.mjs bench/rescore.ts [sessions=10000]
 */
import { Effect, Layer } from "effect"
import { join } from "node:path"
import { RewardEvaluator } from "../src/actors/reward/RewardEvaluator.ts"
import { Rescorer } from "../src/actors/reward/Rescorer.ts"
import { EventLog } from "../src/events/EventLog.ts"
import { sessionStream } from "../src/events/Streams.ts"
import * as Database from "../src/layers/Database.ts"
import { defaultEvaluatorConfig } from "../src/learning/reward/DefaultConfig.ts"
import { EvaluatorConfig } from "../src/learning/reward/EvaluatorConfig.ts"
import { ProjectionRunner } from "../src/projections/ProjectionRunner.ts"
import { RewardsQuery } from "../src/projections/RewardsQuery.ts"
import { session } from "../test/learning/reward/SessionBuilder.ts"
import { report, tempDir, writeResults } from "./common.ts"

const sessions = Number(process.argv[2] ?? "10000")
const target = 10_000

let seed = 7
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}
const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
const requests = [
  "Fix the failing test in parser.ts",
  "What is a monad?",
  "Refactor the config loader",
  "Add a --json flag to the export command",
  "Run the tests",
  "Explain how the event log works"
]
const reactions = ["thanks, that works!", "no, that's wrong", "ugh, useless", "Now document the new option", "ok"]

const build = (i: number) => {
  const b = session(`bench-${i}`)
  const exchanges = 1 + Math.floor(random() * 3)
  for (let e = 0; e < exchanges; e++) {
    b.user(e === 0 ? pick(requests) : pick(reactions))
    const turns = 1 + Math.floor(random() * 3)
    for (let t = 0; t < turns; t++) {
      const tools = Array.from({ length: Math.floor(random() * 3) }, () => ({
        name: pick(["read_file", "run_command", "edit_file"]),
        result: random() < 0.15 ? "failed" as const : "ok" as const
      }))
      b.agentTurn({
        tools,
        promptTokens: 500 + Math.floor(random() * 4000),
        durationMs: 500 + Math.floor(random() * 8000),
        ...(t === turns - 1 ? { reply: "Done." } : {})
      })
    }
    if (random() < 0.05) b.safety({ stage: "outbound", action: random() < 0.3 ? "block" : "warn" })
  }
  const end = random()
  if (end < 0.7) b.completed()
  else if (end < 0.8) b.abandoned()
  else if (end < 0.9) b.failed("tool_error")
  else b.cancelled("user")
  if (random() < 0.1) b.feedback(random() < 0.5 ? 1 : -1)
  return b
}

const variant = EvaluatorConfig.make({
  ...defaultEvaluatorConfig,
  version: "bench",
  weights: { ...defaultEvaluatorConfig.weights, efficiency: 0.8 },
  outcome: { ...defaultEvaluatorConfig.outcome, completed: 0.6 }
})

const { dir, cleanup } = tempDir("rescore")
const layer = Layer.mergeAll(
  RewardEvaluator.Default,
  Rescorer.Default.pipe(Layer.provideMerge(RewardsQuery.Default)),
  ProjectionRunner.Default
).pipe(Layer.provideMerge(Database.sqlite({ filename: join(dir, "tau.db"), synchronous: "NORMAL" })))

const main = Effect.gen(function*() {
  const log = yield* EventLog
  const built = Array.from({ length: sessions }, (_, i) => build(i))
  const events = built.reduce((n, b) => n + b.events.length, 0)
  yield* Effect.forEach(built, (b) => log.append(sessionStream(b.sessionId), "no_stream", b.events), {
    concurrency: 64,
    discard: true
  })
  console.log(`${sessions} sessions, ${events} events in the log`)
  const t0 = performance.now()
  yield* (yield* RewardEvaluator).catchUp()
  const actorMs = performance.now() - t0
  yield* (yield* ProjectionRunner).catchUp("rewards")
  const t1 = performance.now()
  const result = yield* (yield* Rescorer).rescore(variant)
  const rescoreMs = performance.now() - t1
  const t2 = performance.now()
  const same = yield* (yield* Rescorer).rescore(defaultEvaluatorConfig)
  const sameMs = performance.now() - t2
  const perMinute = (ms: number, n: number) => n / (ms / 60_000)
  report("rescore: another configuration (sessions/min)", "sess/min", perMinute(rescoreMs, result.rescored), target, 1,
    `${result.rescored} sessions in ${(rescoreMs / 1000).toFixed(2)} s; spearman ${result.diff.spearman.toFixed(3)}, ` +
      `mean shift ${result.diff.meanShift.toFixed(3)}, ${result.diff.signFlips.length} sign flips`)
  report("rescore: the live configuration (sessions/min)", "sess/min", perMinute(sameMs, same.rescored), target, 1,
    `mean |shift| ${same.diff.meanAbsoluteShift} (0 = reproduces the live table)`)
  report("reward actor catch-up (sessions/min)", "sess/min", perMinute(actorMs, result.rescored), target, 1,
    `${(actorMs / 1000).toFixed(2)} s, appends included`)
})

Effect.runPromise(main.pipe(Effect.provide(layer))).then(
  () => {
    writeResults("rescore")
    cleanup()
  },
  (error) => {
    cleanup()
    console.error(error)
    process.exitCode = 1
  }
)
