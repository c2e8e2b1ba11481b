/**
 * docs/embedding.md shows test/embedding/example.ts verbatim; this runs that file as its own process.
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { EventLog } from "../../src/events/EventLog.ts"
import * as Database from "../../src/layers/Database.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { runNode } from "../support/Spawn.ts"

const root = join(import.meta.dirname, "..", "..")
const examplePath = join(root, "test", "embedding", "example.ts")

const runExample = (env: Record<string, string>) => runNode(["--import", "tsx", examplePath], { env })

describe("embedding example", () => {
  it("docs/embedding.md contains the example file verbatim", () => {
    const doc = readFileSync(join(root, "docs", "embedding.md"), "utf8")
    const code = readFileSync(examplePath, "utf8")
    assert.include(doc, "```ts\n" + code + "```")
  })

  it.scopedLive("runs as its own program: appends, follows the log and reads a live projection", () =>
    Effect.gen(function*() {
      const db = join(dirname(yield* tempSqliteFile), "app-events.db")
      const run = yield* runExample({ APP_EVENTS_DB: db })
      assert.strictEqual(run.code, 0, run.stderr)
      const lines = run.stdout.split("\n").filter((l) => !l.includes("INFO"))
      assert.deepStrictEqual(lines.filter((l) => l.length > 0).map((l) => l.replace(/session-\S+@/, "session-<id>@")), [
        "appended 2 events, stream version 2",
        "followed session-<id>@1 SessionStarted",
        "followed session-<id>@2 UserMessageReceived",
        "streams projection: version 2, last event UserMessageReceived"
      ])

      // The host app's database now holds the two events, readable by anyone embedding Tau on it.
      const rows = yield* Effect.flatMap(EventLog, (log) => log.readAllRaw(1, 10)).pipe(
        Effect.provide(Database.sqlite({ filename: db }))
      )
      assert.deepStrictEqual(rows.map((r) => r.type), ["SessionStarted", "UserMessageReceived"])
    }), 120_000)
})
