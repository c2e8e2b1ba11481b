/**
 * Child process for the crash and multi-process tests:
 * `node --import tsx test/support/appendChild.ts <dbfile> <tag> [appendsPerWorker|forever] [commit|background]`.
 * Runs AppendWorkers against a SqliteEventLog on the file and prints one line per acknowledged append. Without a
 * count it appends until killed; with one it first prints "ready" and waits for a line on stdin, so that several
 * children (slow to start) append at the same time.
 */
import { Effect, Layer } from "effect"
import { EventLog } from "../../src/events/EventLog.ts"
import { appendWorkers } from "./AppendWorkers.ts"
import { sqliteEventLogLayer } from "./Sqlite.ts"

const [file, tag = "c", countText, flushArg] = process.argv.slice(2)
const countArg = countText === "forever" ? undefined : countText
const flush = flushArg === "background" ? "background" : "commit"
if (file === undefined) throw new Error("usage: appendChild.ts <dbfile> <tag> [appendsPerWorker]")

const awaitGo = Effect.async<void>((resume) => {
  process.stdout.write("ready\n")
  process.stdin.once("data", () => resume(Effect.void))
})

const program = Effect.gen(function*() {
  const log = yield* EventLog
  if (countArg !== undefined) yield* awaitGo
  const limit = countArg === undefined ? Number.POSITIVE_INFINITY : Number(countArg)
  yield* appendWorkers(log, tag, limit, (line) => process.stdout.write(`${line}\n`))
})

Effect.runPromise(program.pipe(Effect.provide(sqliteEventLogLayer(file, {}, flush).pipe(Layer.orDie)))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`appendChild failed: ${String(error)}\n`)
    process.exit(1)
  }
)
