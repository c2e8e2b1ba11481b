/**
 * Child process for the reward actor's crash test: `node --import tsx test/support/rewardChild.ts <dbfile>`.
 * Runs the reward actor's catch-up (RewardEvaluator.Default over the real SQLite event log and database layers)
 * and prints `reward <sessionId> <written|repeat>` once each reward append is acknowledged, then `done <position>`.
 * The event log is only observed (appends pass through unchanged), so the lines report what was committed.
 * With `holdAfter`, the child stops for good right after reporting that many appends, before the actor records
 * the session and moves its checkpoint: a kill then lands exactly between a reward's append and its checkpoint.
 */
import { Duration, Effect, Layer } from "effect"
import { RewardEvaluator } from "../../src/actors/reward/RewardEvaluator.ts"
import type { AppendResult } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../../src/events/sqlite/migrations.ts"
import { projectionMigrations } from "../../src/projections/migrations.ts"

const [file, holdArg] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: rewardChild.ts <dbfile> [holdAfter]")
const holdAfter = holdArg === undefined ? Number.POSITIVE_INFINITY : Number(holdArg)
let reported = 0

const database = SqliteEventLog.layerWith({ ...defaultEventLogOptions, pollInterval: Duration.millis(20) }).pipe(
  Layer.provideMerge(
    SqliteDatabase.layer({
      filename: file,
      synchronous: "FULL",
      migrations: { ...sqliteEventLogMigrations, ...projectionMigrations }
    })
  )
)

const report = (result: AppendResult) =>
  Effect.suspend(() => {
    process.stdout.write(`reward ${result.streamId.slice("reward-".length)} ${result.written ? "written" : "repeat"}\n`)
    reported++
    return reported >= holdAfter ? Effect.never : Effect.void
  })

const observed = Layer.effect(
  EventLog,
  Effect.map(EventLog, (log) => ({
    ...log,
    append: (...args: Parameters<typeof log.append>) =>
      log.append(...args).pipe(
        Effect.tap((result) => result.streamId.startsWith("reward-") ? report(result) : Effect.void)
      )
  }))
)

const program = Effect.gen(function*() {
  const position = yield* (yield* RewardEvaluator).catchUp()
  process.stdout.write(`done ${position}\n`)
})

const layer = RewardEvaluator.Default.pipe(Layer.provide(observed), Layer.provide(database), Layer.orDie)

Effect.runPromise(program.pipe(Effect.provide(layer))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`rewardChild failed: ${String(error)}\n`)
    process.exit(1)
  }
)
