import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { assert, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { Layer } from "effect"
import type { RecordedEvent } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import * as Database from "../../src/layers/Database.ts"
import { sampleEvent, sampleSessionId, sampleSessionStarted } from "../support/Events.ts"
import { describePg, freshPgDatabase } from "../support/Pg.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { runCli } from "./runCli.ts"

const readAll = <E>(layer: Layer.Layer<EventLog, E>) =>
  Effect.flatMap(EventLog, (log) => log.readAllRaw(1, 100_000)).pipe(Effect.provide(layer))

const comparable = (rows: ReadonlyArray<RecordedEvent>) => rows.map((r) => ({ ...r, recordedAt: r.recordedAt.toISOString() }))

describePg("tau log export / import on PostgreSQL", () => {
  it.scopedLive("SQLite export -> PostgreSQL import -> PostgreSQL export is identical, and re-import writes nothing", () =>
    Effect.gen(function*() {
      const source = yield* tempSqliteFile
      const file = join(dirname(source), "export.jsonl")
      const pgUrl = yield* freshPgDatabase
      const sqliteLayer = Database.sqlite({ filename: source, synchronous: "OFF" })
      const pgLayer = Database.postgres({ url: Redacted.make(pgUrl) })

      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const a = sampleSessionId()
        const b = sampleSessionId()
        yield* log.append(sessionStream(a), "no_stream", [sampleSessionStarted(a)])
        yield* log.append(sessionStream(b), "no_stream", [sampleSessionStarted(b)])
        for (let i = 0; i < 5; i++) {
          yield* log.append(sessionStream(i % 2 === 0 ? a : b), "any", [{
            event: sampleEvent(i, i % 2 === 0 ? a : b),
            metadata: { correlationId: `c${i}`, actor: "pg-test" }
          }])
        }
      }).pipe(Effect.provide(sqliteLayer))

      const exported = yield* runCli(["log", "export"], { TAU_DATABASE_URL: source })
      assert.isTrue(exported.ok, exported.stderr)
      writeFileSync(file, exported.stdout)

      const imported = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: pgUrl })
      assert.isTrue(imported.ok, imported.stderr)
      assert.include(imported.stdout, "imported 7 events")
      assert.deepStrictEqual(comparable(yield* readAll(pgLayer)), comparable(yield* readAll(sqliteLayer)))

      const fromPg = yield* runCli(["log", "export"], { TAU_DATABASE_URL: pgUrl })
      assert.isTrue(fromPg.ok, fromPg.stderr)
      assert.strictEqual(fromPg.stdout, exported.stdout)

      const again = yield* runCli(["log", "import", file], { TAU_DATABASE_URL: pgUrl })
      assert.isTrue(again.ok, again.stderr)
      assert.include(again.stdout, "imported 0 events")
      assert.include(again.stdout, "7 already present")

      const stats = yield* runCli(["log", "stats", "--json"], { TAU_DATABASE_URL: pgUrl })
      const parsed = JSON.parse(stats.stdout) as { backend: string; events: number; database: string }
      assert.strictEqual(parsed.backend, "postgres")
      assert.strictEqual(parsed.events, 7)
      assert.notInclude(parsed.database, "postgres@")
    }), 60_000)
})
