/**
 * Child process for crash and multi-process tests: `node --import tsx test/support/appendChild.ts <dbfile> <tag>
 * [appendsPerWorker]`. Four fibres append batches of 1..4 events to their own streams through one SqliteEventLog
 * (so appends are group committed) and print one line per acknowledged append: "<positions> <tag>-w<k>-s<seq>".
 * Event ids are "<tag>-w<k>-s<seq>-<j>of<n>", so a reader can tell whether a batch is whole. Without a count it
 * appends until killed. With a count it first prints "ready" and waits for a line on stdin, so that several
 * children (slow to start) append at the same time.
 */
import { Effect, Layer } from "effect"
import { EventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sampleEvent, sampleSessionId } from "./Events.ts"
import { sqliteEventLogLayer } from "./Sqlite.ts"

const [file, tag = "c", countArg] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: appendChild.ts <dbfile> <tag> [appendsPerWorker]")
const limit = countArg === undefined ? Number.POSITIVE_INFINITY : Number(countArg)

const worker = (w: number) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const stream = StreamId.make(`crash-${tag}-${w}`)
    const sessionId = sampleSessionId()
    let version = 0
    for (let seq = 0; seq < limit; seq++) {
      const n = 1 + ((seq + w) % 4)
      const group = `${tag}-w${w}-s${seq}`
      const events = Array.from({ length: n }, (_, j) => ({
        event: sampleEvent(seq * 10 + j, sessionId),
        eventId: EventId.make(`${group}-${j}of${n}`)
      }))
      const result = yield* log.append(stream, version === 0 ? "no_stream" : StreamVersion.make(version), events)
      version = result.streamVersion
      process.stdout.write(`${result.positions.join(",")} ${group}\n`)
    }
  })

const awaitGo = Effect.async<void>((resume) => {
  process.stdout.write("ready\n")
  process.stdin.once("data", () => resume(Effect.void))
})

const program = Effect.zipRight(
  Effect.flatMap(EventLog, (log) => countArg === undefined ? Effect.void : Effect.zipRight(log.head, awaitGo)),
  Effect.all([0, 1, 2, 3].map(worker), { concurrency: "unbounded", discard: true })
)

Effect.runPromise(program.pipe(Effect.provide(sqliteEventLogLayer(file).pipe(Layer.orDie)))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`appendChild failed: ${String(error)}\n`)
    process.exit(1)
  }
)
