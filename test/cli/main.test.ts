/**
 * The command tree in-process (fast): human output, version, projections, usage errors.
 */
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import * as Database from "../../src/layers/Database.ts"
import { sampleEvent, sampleSessionId, sampleSessionStarted } from "../support/Events.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { runCli } from "./runCli.ts"

const seed = (filename: string) =>
  Effect.flatMap(EventLog, (log) =>
    Effect.gen(function*() {
      const id = sampleSessionId()
      yield* log.append(sessionStream(id), "no_stream", [sampleSessionStarted(id), sampleEvent(1, id), sampleEvent(2, id)])
    })).pipe(Effect.provide(Database.sqlite({ filename, synchronous: "OFF" })))

describe("tau (in-process)", () => {
  it.live("version prints the package version and opens no database", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["version"], { TAU_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" })
      assert.isTrue(run.ok, run.stderr)
      assert.strictEqual(run.stdout, `tau ${packageJson.version}\n`)
    }))

  it.scopedLive("log stats prints a readable summary", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      yield* seed(db)
      const run = yield* runCli(["log", "stats"], { TAU_DATABASE_URL: db })
      assert.isTrue(run.ok, run.stderr)
      assert.match(run.stdout, /^database {7}SQLite .*tau\.db \(synchronous=FULL, flush=commit\)$/m)
      assert.match(run.stdout, /^events {9}3$/m)
      assert.match(run.stdout, /^streams {8}1$/m)
      assert.match(run.stdout, /^ {2}UserMessageReceived {2}2$/m)
    }))

  it.scopedLive("projections status and rebuild", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      yield* seed(db)
      const rebuilt = yield* runCli(["projections", "rebuild", "streams"], { TAU_DATABASE_URL: db })
      assert.isTrue(rebuilt.ok, rebuilt.stderr)
      assert.match(rebuilt.stdout, /^rebuilt streams v\d+: position 3, 0 dead letters$/m)
      const status = yield* runCli(["projections", "status"], { TAU_DATABASE_URL: db })
      assert.isTrue(status.ok, status.stderr)
      assert.match(status.stdout, /^name +version +position +head +lag +dead letters$/m)
      assert.match(status.stdout, /^streams +\d+ +3 +3 +0 +0$/m)
      const all = yield* runCli(["projections", "rebuild"], { TAU_DATABASE_URL: db })
      assert.isTrue(all.ok, all.stderr)
      assert.include(all.stdout, "rebuilt streams")
    }))

  it.scopedLive("import of a missing file is a usage error", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      const run = yield* runCli(["log", "import", join(db, "..", "missing.jsonl")], { TAU_DATABASE_URL: db })
      assert.isFalse(run.ok)
    }))
})
