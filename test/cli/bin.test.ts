/**
 * Smoke tests of the real executable: `node bin/tau.mjs …` in a child process, as a user runs it.
 */
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import * as Database from "../../src/layers/Database.ts"
import { sampleEvent, sampleSessionId, sampleSessionStarted } from "../support/Events.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { runTau } from "../support/Spawn.ts"
import type { ProcessRun } from "../support/Spawn.ts"

const root = join(import.meta.dirname, "..", "..")

type Run = ProcessRun

const tau = (args: ReadonlyArray<string>, env: Record<string, string>) => runTau(args, { env })

const seed = (filename: string, count: number) =>
  Effect.flatMap(EventLog, (log) =>
    Effect.gen(function*() {
      const id = sampleSessionId()
      yield* log.append(sessionStream(id), "no_stream", [sampleSessionStarted(id)])
      for (let i = 0; i < count - 1; i++) yield* log.append(sessionStream(id), "any", [sampleEvent(i, id)])
      return id
    })).pipe(Effect.provide(Database.sqlite({ filename, synchronous: "OFF" })))

const noStackTrace = (stderr: string) => assert.notMatch(stderr, /^\s+at /m)

describe("tau executable", () => {
  it.scopedLive("an invalid TAU_LOG_LEVEL is reported in one line naming it, exit code 1", () =>
    Effect.gen(function*() {
      const run = yield* tau(["version"], { TAU_LOG_LEVEL: "loud" })
      assert.strictEqual(run.code, 1)
      assert.strictEqual(run.stdout, "")
      assert.match(run.stderr.trim(), /^error: .*TAU_LOG_LEVEL/)
    }), { timeout: 60_000 })

  it.scopedLive("stats, tail, export, import and projections status on a seeded SQLite file", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      const target = join(dirname(db), "target.db")
      const file = join(dirname(db), "export.jsonl")
      yield* seed(db, 25)

      const [stats, tail, tailJson, exported, status] = yield* Effect.all([
        tau(["log", "stats", "--json"], { TAU_DATABASE_URL: db }),
        tau(["log", "tail"], { TAU_DATABASE_URL: db }),
        tau(["log", "tail", "--from", "24", "--json"], { TAU_DATABASE_URL: db }),
        tau(["log", "export"], { TAU_DATABASE_URL: db }),
        tau(["projections", "status", "--json"], { TAU_DATABASE_URL: db })
      ], { concurrency: 3 })

      assert.strictEqual(stats.code, 0, stats.stderr)
      const parsed = JSON.parse(stats.stdout) as { events: number; streams: number; head: number; byType: Array<unknown> }
      assert.deepInclude(parsed, { events: 25, streams: 1, head: 25 })
      assert.deepStrictEqual(parsed.byType, [{ type: "UserMessageReceived", count: 24 }, { type: "SessionStarted", count: 1 }])

      assert.strictEqual(tail.code, 0, tail.stderr)
      const tailLines = tail.stdout.trimEnd().split("\n")
      assert.strictEqual(tailLines.length, 20)
      assert.match(tailLines[0]!, /^6 {2}session-\S+@6 {2}UserMessageReceived {2}\{.*"content":"message 4"/)

      assert.strictEqual(tailJson.code, 0, tailJson.stderr)
      assert.deepStrictEqual(tailJson.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { position: number }).position), [24, 25])

      assert.strictEqual(exported.code, 0, exported.stderr)
      assert.strictEqual(exported.stdout.trimEnd().split("\n").length, 25)

      assert.strictEqual(status.code, 0, status.stderr)
      const projections = JSON.parse(status.stdout) as Array<{ name: string; head: number }>
      assert.isTrue(projections.some((p) => p.name === "streams" && p.head === 25))

      writeFileSync(file, exported.stdout)
      const imported = yield* tau(["log", "import", file], { TAU_DATABASE_URL: target })
      assert.strictEqual(imported.code, 0, imported.stderr)
      assert.include(imported.stdout, "imported 25 events")
      assert.strictEqual(imported.stderr, "")
    }), 240_000)

  it.scopedLive("errors are one line on stderr with a non-zero exit code", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      const bad = join(dirname(db), "bad.jsonl")
      writeFileSync(bad, "{}\n")
      const [config, invalid, unknownProjection] = yield* Effect.all([
        tau(["log", "stats"], { TAU_DATABASE_URL: db, TAU_SQLITE_SYNCHRONOUS: "sometimes" }),
        tau(["log", "import", bad], { TAU_DATABASE_URL: db }),
        tau(["projections", "rebuild", "nope"], { TAU_DATABASE_URL: db })
      ], { concurrency: 2 })

      assert.strictEqual(config.code, 1)
      assert.match(config.stderr, /^error: invalid configuration: .*TAU_SQLITE_SYNCHRONOUS must be one of FULL, NORMAL, OFF/)
      assert.strictEqual(config.stderr.trimEnd().split("\n").length, 1)

      assert.strictEqual(invalid.code, 1)
      assert.match(invalid.stderr, /^line 1: position: is missing; eventId: is missing/m)
      assert.match(invalid.stderr, /^error: .*1 bad line, nothing imported$/m)

      assert.strictEqual(unknownProjection.code, 1)
      assert.strictEqual(unknownProjection.stderr, "error: ProjectionNotFound: no projection named nope\n")

      for (const run of [config, invalid, unknownProjection]) noStackTrace(run.stderr)
    }), 240_000)

  it.scopedLive("tail --follow prints events appended after it started, until interrupted", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      yield* seed(db, 2)
      const result = yield* Effect.async<Run>((resume) => {
        const child = spawn(process.execPath, [join(root, "bin", "tau.mjs"), "log", "tail", "--follow", "--json"], {
          cwd: root,
          env: { ...process.env, TAU_DATABASE_URL: db },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        let appended = false
        child.stdout.on("data", (chunk) => {
          stdout += String(chunk)
          const lines = stdout.trimEnd().split("\n").length
          if (lines >= 2 && !appended) {
            appended = true
            Effect.runFork(seed(db, 1))
          }
          if (lines >= 3) child.kill("SIGINT")
        })
        child.stderr.on("data", (chunk) => (stderr += String(chunk)))
        child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
        return Effect.sync(() => child.kill("SIGKILL"))
      })
      assert.strictEqual(result.code, 0, result.stderr)
      const lines = result.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { position: number; type: string })
      assert.deepStrictEqual(lines.map((l) => l.position), [1, 2, 3])
      assert.strictEqual(lines[2]!.type, "SessionStarted")
    }), 120_000)

  it.scopedLive("export into a pipe closed early (`| head -1`) ends quietly with exit code 0", () =>
    Effect.gen(function*() {
      const db = yield* tempSqliteFile
      yield* Effect.flatMap(EventLog, (log) => {
        const id = sampleSessionId()
        return log.append(sessionStream(id), "no_stream", Array.from({ length: 2000 }, (_, i) => sampleEvent(i, id)))
      }).pipe(Effect.provide(Database.sqlite({ filename: db, synchronous: "OFF" })))
      const result = yield* Effect.async<Run>((resume) => {
        const child = spawn(process.execPath, [join(root, "bin", "tau.mjs"), "log", "export"], {
          cwd: root,
          env: { ...process.env, TAU_DATABASE_URL: db },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => {
          stdout += String(chunk)
          if (stdout.includes("\n")) child.stdout.destroy()
        })
        child.stderr.on("data", (chunk) => (stderr += String(chunk)))
        child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
        return Effect.sync(() => child.kill("SIGKILL"))
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      assert.strictEqual((JSON.parse(result.stdout.split("\n")[0]!) as { position: number }).position, 1)
    }), 120_000)
})
