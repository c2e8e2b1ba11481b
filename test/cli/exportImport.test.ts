import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Scope } from "effect"
import { EventId, newEventId, StreamId, StreamVersion } from "../../src/domain/Ids.ts"
import type { RecordedEvent } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import * as Database from "../../src/layers/Database.ts"
import { sampleEvent, sampleSessionId, sampleSessionStarted } from "../support/Events.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { runCli } from "./runCli.ts"

const withLog = <A, E>(filename: string, f: (log: typeof EventLog.Service) => Effect.Effect<A, E>) =>
  Effect.flatMap(EventLog, f).pipe(Effect.provide(Database.sqlite({ filename, synchronous: "OFF" })))

const readAll = (filename: string) => withLog(filename, (log) => log.readAllRaw(1, 100_000))

/** Three sessions appended in interleaved order, with metadata, so the global order is not stream order. */
const seed = (filename: string) =>
  withLog(filename, (log) =>
    Effect.gen(function*() {
      const sessions = [sampleSessionId(), sampleSessionId(), sampleSessionId()]
      for (const id of sessions) yield* log.append(sessionStream(id), "no_stream", [sampleSessionStarted(id)])
      for (let round = 0; round < 4; round++) {
        for (const [i, id] of sessions.entries()) {
          const causationId = newEventId()
          yield* log.append(sessionStream(id), "any", [{
            event: sampleEvent(round * 10 + i, id),
            metadata: { causationId, correlationId: `corr-${i}`, actor: "test" }
          }])
        }
      }
      return sessions
    }))

const tempPaths = Effect.map(tempSqliteFile, (source) => ({
  source,
  target: join(dirname(source), "target.db"),
  file: join(dirname(source), "export.jsonl")
}))

const exportTo = (source: string, file: string, args: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const run = yield* runCli(["log", "export", ...args], { TAU_DATABASE_URL: source })
    assert.isTrue(run.ok, run.stderr)
    writeFileSync(file, run.stdout)
    return run.stdout
  })

const comparable = (rows: ReadonlyArray<RecordedEvent>) => rows.map((r) => ({ ...r, recordedAt: r.recordedAt.toISOString() }))

const setup: Effect.Effect<{ source: string; target: string; file: string }, never, Scope.Scope> = tempPaths

describe("tau log export / import", () => {
  it.scopedLive("export then import into an empty database gives an identical readAll", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      yield* seed(source)
      const text = yield* exportTo(source, file)
      const lines = text.trimEnd().split("\n")
      assert.strictEqual(lines.length, 15)
      assert.deepStrictEqual(Object.keys(JSON.parse(lines[0]!)), [
        "position", "eventId", "streamId", "streamVersion", "type", "schemaVersion", "data", "metadata", "recordedAt"
      ])

      const imported = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isTrue(imported.ok, imported.stderr)
      assert.include(imported.stdout, "imported 15 events")

      const before = yield* readAll(source)
      const after = yield* readAll(target)
      assert.deepStrictEqual(comparable(after), comparable(before))
      assert.isDefined(after[5]!.metadata.causationId)

      // A second export of the target is byte-identical to the first.
      const again = yield* runCli(["log", "export"], { TAU_DATABASE_URL: target })
      assert.strictEqual(again.stdout, text)
    }))

  it.scopedLive("importing the same file twice writes nothing the second time", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      yield* seed(source)
      yield* exportTo(source, file)
      assert.isTrue((yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })).ok)
      const first = yield* readAll(target)
      const second = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isTrue(second.ok, second.stderr)
      assert.include(second.stdout, "imported 0 events")
      assert.include(second.stdout, "15 already present")
      assert.deepStrictEqual(comparable(yield* readAll(target)), comparable(first))
    }))

  it.scopedLive("a file with bad lines imports nothing and names each line and reason", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      yield* seed(source)
      const lines = (yield* exportTo(source, file)).trimEnd().split("\n")
      const record = (i: number) => JSON.parse(lines[i]!) as Record<string, unknown>
      lines[2] = "{not json"
      lines[4] = JSON.stringify({ ...record(4), streamVersion: "three" })
      lines[6] = JSON.stringify({ ...record(6), data: { sessionId: 42 } })
      lines[8] = JSON.stringify({ ...record(8), type: "NoSuchEvent" })
      writeFileSync(file, `${lines.join("\n")}\n`)

      const run = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isFalse(run.ok)
      assert.match(run.stderr, /line 3: invalid JSON/)
      assert.match(run.stderr, /line 5: streamVersion: /)
      assert.match(run.stderr, /line 7: \w+ does not decode: .*sessionId/)
      assert.match(run.stderr, /line 9: NoSuchEvent does not decode: unknown event type NoSuchEvent/)
      assert.match(run.stderr, /4 bad lines, nothing imported/)
      assert.strictEqual((yield* readAll(target)).length, 0)
    }))

  it.scopedLive("duplicate ids and version holes inside the file are rejected before anything is written", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      yield* seed(source)
      const lines = (yield* exportTo(source, file)).trimEnd().split("\n")
      const first = JSON.parse(lines[0]!) as Record<string, unknown>
      lines.push(JSON.stringify({ ...first, streamId: StreamId.make("session-other"), streamVersion: 1 }))
      lines.push(JSON.stringify({ ...JSON.parse(lines[1]!), eventId: EventId.make(newEventId()), streamVersion: 9 }))
      writeFileSync(file, `${lines.join("\n")}\n`)
      const run = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isFalse(run.ok)
      assert.match(run.stderr, /line 16: event id \S+ is already on line 1/)
      assert.match(run.stderr, /line 17: stream \S+: version 9 does not follow version 5/)
      assert.strictEqual((yield* readAll(target)).length, 0)
    }))

  it.scopedLive("a partial export cannot be imported where it would leave a gap in a stream", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      yield* seed(source)
      yield* exportTo(source, file, ["--from", "10"])
      const run = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isFalse(run.ok)
      assert.match(run.stderr, /line 1: stream session-\S+ starts at version 4, but the target has it at version 0/)
      assert.match(run.stderr, /does not continue the target log, nothing imported/)
      assert.strictEqual((yield* readAll(target)).length, 0)
    }))

  it.scopedLive("an import that continues a copy of the log appends only the new events", () =>
    Effect.gen(function*() {
      const { file, source, target } = yield* setup
      const sessions = yield* seed(source)
      yield* exportTo(source, file, [])
      assert.isTrue((yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })).ok)
      yield* withLog(source, (log) => log.append(sessionStream(sessions[1]!), StreamVersion.make(5), [sampleEvent(99, sessions[1]!)]))
      yield* exportTo(source, file, [])
      const run = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.isTrue(run.ok, run.stderr)
      assert.include(run.stdout, "imported 1 events")
      assert.include(run.stdout, "15 already present")
      assert.deepStrictEqual(comparable(yield* readAll(target)), comparable(yield* readAll(source)))
    }))
})
