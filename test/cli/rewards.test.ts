/**
 * `tau run` (a real process, loopback model) scores its own session before it exits; `tau rewards`, `tau feedback`
 * and `tau rescore` then run in-process on the same SQLite file.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { SessionId } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { rewardStream } from "../../src/events/Streams.ts"
import { defaultEvaluatorConfig } from "../../src/learning/reward/DefaultConfig.ts"
import { EvaluatorConfig } from "../../src/learning/reward/EvaluatorConfig.ts"
import { Reply, loopbackModel } from "../support/LoopbackModel.ts"
import { sqliteEventLogLayer } from "../support/Sqlite.ts"
import { runCli } from "./runCli.ts"
import { runTau } from "../support/Spawn.ts"

const tauProcess = (args: ReadonlyArray<string>, env: Record<string, string>) => runTau(args, { env, clean: true })

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), "tau-cli-rewards-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

interface RewardRow {
  readonly sessionId: string
  readonly revision: number
  readonly composite: number
  readonly dimensions: Record<string, number>
}

describe("tau rewards / feedback / rescore", () => {
  it.scopedLive("run scores its session before exiting; feedback revises it; rescore with live is a zero diff", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const dir = yield* tempDir
      const workspace = join(dir, "ws")
      fs.mkdirSync(workspace)
      const db = join(dir, "tau.db")
      const env = { OPENAI_BASE_URL: lb.url, OPENAI_API_KEY: "test", TAU_MODEL: "test-model", TAU_DATABASE_URL: db }
      lb.enqueue(Reply.text("A monad is a monoid in the category of endofunctors."))
      const run = yield* tauProcess(["run", "What is a monad?", "--workspace", workspace, "--json"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      const sessionId = (JSON.parse(run.stdout) as { sessionId: string }).sessionId

      // The run process itself appended the reward (nothing else has run on this database).
      const stored = yield* Effect.flatMap(EventLog, (log) => log.readStream(rewardStream(SessionId.make(sessionId)))).pipe(
        Effect.provide(sqliteEventLogLayer(db)),
        Effect.orDie
      )
      assert.isTrue(stored.length >= 1)

      const cli = (args: ReadonlyArray<string>) => runCli(args, { TAU_DATABASE_URL: db })
      const listed = yield* cli(["rewards", "--json"])
      assert.isTrue(listed.ok, listed.stderr)
      const rows = JSON.parse(listed.stdout) as ReadonlyArray<RewardRow>
      assert.deepStrictEqual(rows.map((r) => [r.sessionId, r.revision]), [[sessionId, 1]])
      assert.strictEqual(rows[0]!.dimensions["outcome"], 0.5)

      const badRating = yield* cli(["feedback", sessionId, "--rating", "2"])
      assert.isFalse(badRating.ok)
      assert.match(badRating.stderr, /rating/)
      const fed = yield* cli(["feedback", sessionId, "--rating", "-1", "--comment", "wrong"])
      assert.isTrue(fed.ok, fed.stderr)
      const revised = JSON.parse((yield* cli(["rewards", "--json"])).stdout) as ReadonlyArray<RewardRow>
      assert.strictEqual(revised[0]!.revision, 2)
      assert.isTrue(revised[0]!.composite < rows[0]!.composite)

      const grouped = yield* cli(["rewards", "--by", "category"])
      assert.isTrue(grouped.ok, grouped.stderr)
      assert.match(grouped.stdout, /question/)

      const same = JSON.parse((yield* cli(["rescore", "--evaluator", "live", "--json"])).stdout) as {
        rescored: number
        diff: { sessions: number; meanAbsoluteShift: number; spearman: number }
      }
      assert.deepInclude(same, { rescored: 1 })
      assert.deepInclude(same.diff, { sessions: 1, meanAbsoluteShift: 0, spearman: 1 })

      const file = join(dir, "evaluator.json")
      const variant = EvaluatorConfig.make({
        ...defaultEvaluatorConfig,
        version: "2",
        outcome: { ...defaultEvaluatorConfig.outcome, completed: 0.9 }
      })
      fs.writeFileSync(file, JSON.stringify(Schema.encodeSync(EvaluatorConfig)(variant)))
      const other = yield* cli(["rescore", "--evaluator", file])
      assert.isTrue(other.ok, other.stderr)
      assert.match(other.stdout, /rescored 1 sessions with tau-default@2/)
      assert.match(other.stdout, /outcome/)

      const unknown = yield* cli(["rescore", "--evaluator", "nope@9"])
      assert.isFalse(unknown.ok)
      assert.match(unknown.stderr, /known evaluator/)
    }), 60_000)
})
