/**
 * Append throughput on SQLite (synchronous=FULL, WAL) against raw better-sqlite3 on the same schema,
 * ids (UUIDv7) and durability, in the same run:
 *   (a) single-event appends, one per transaction        target >= 0.75x raw
 *   (b) 100 events per append                             target >= 0.8x raw
 *   (c) 64 fibres appending single events (group commit) target >= 5x raw one-per-transaction
 * Run: npm run bench:sqlite   (or: node --import tsx bench/eventlog-sqlite.ts [scale])
 */
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { StreamId, StreamVersion } from "../src/domain/Ids.ts"
import { EventLog } from "../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../src/events/sqlite/migrations.ts"
import { benchEvent, EVENT_COLUMNS, rawRowMaker, report, tempDir, writeResults } from "./common.ts"

const scale = Number(process.argv[2] ?? "1")
const SINGLE = Math.round(1500 * scale)
const BATCHES = Math.round(150 * scale)
const FIBRES = 64
const PER_FIBRE = Math.round(40 * scale)

const tauRuntime = (filename: string) =>
  ManagedRuntime.make(
    SqliteEventLog.layerWith(defaultEventLogOptions).pipe(
      Layer.provideMerge(SqliteDatabase.layer({ filename, synchronous: "FULL", migrations: sqliteEventLogMigrations }))
    )
  )

/** A database with Tau's exact schema, opened raw: migrate it through Tau, then reopen with better-sqlite3. */
const rawDatabase = async (filename: string) => {
  const rt = tauRuntime(filename)
  await rt.runPromise(Effect.void.pipe(Effect.zipRight(EventLog)))
  await rt.dispose()
  const db = new Database(filename)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = FULL")
  const insert = db.prepare(`INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)`)
  const row = rawRowMaker(() => Date.now())
  return { db, insert, row }
}

const rawSingle = async (dir: string, n: number) => {
  const { db, insert, row } = await rawDatabase(join(dir, `raw-single-${n}.db`))
  const begin = db.prepare("BEGIN IMMEDIATE")
  const commit = db.prepare("COMMIT")
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    begin.run()
    insert.run(...row(`session-${i % 100}`, i))
    commit.run()
  }
  const ms = performance.now() - start
  db.close()
  return (n / ms) * 1000
}

const rawBatched = async (dir: string, batches: number) => {
  const { db, insert, row } = await rawDatabase(join(dir, "raw-batched.db"))
  const begin = db.prepare("BEGIN IMMEDIATE")
  const commit = db.prepare("COMMIT")
  const start = performance.now()
  for (let b = 0; b < batches; b++) {
    begin.run()
    for (let i = 0; i < 100; i++) insert.run(...row(`session-${b}`, i))
    commit.run()
  }
  const ms = performance.now() - start
  db.close()
  return ((batches * 100) / ms) * 1000
}

const tauBench = async (dir: string, name: string, SINGLE: number, BATCHES: number, PER_FIBRE: number) => {
  const rt = tauRuntime(join(dir, name))
  const run = <A, E>(effect: Effect.Effect<A, E, EventLog>) => rt.runPromise(effect)

  const single = await run(Effect.gen(function*() {
    const log = yield* EventLog
    const versions = new Map<string, number>()
    const start = performance.now()
    for (let i = 0; i < SINGLE; i++) {
      const stream = `session-${i % 100}`
      const expected = versions.get(stream) ?? 0
      const result = yield* log.append(
        StreamId.make(stream),
        expected === 0 ? "no_stream" : StreamVersion.make(expected),
        [benchEvent(i)]
      )
      versions.set(stream, result.streamVersion)
    }
    return (SINGLE / (performance.now() - start)) * 1000
  }))

  const batched = await run(Effect.gen(function*() {
    const log = yield* EventLog
    const events = Array.from({ length: 100 }, (_, i) => benchEvent(i))
    const start = performance.now()
    for (let b = 0; b < BATCHES; b++) {
      yield* log.append(StreamId.make(`batch-${b}`), "no_stream", events)
    }
    return ((BATCHES * 100) / (performance.now() - start)) * 1000
  }))

  const concurrent = await run(Effect.gen(function*() {
    const log = yield* EventLog
    const start = performance.now()
    yield* Effect.forEach(
      Array.from({ length: FIBRES }, (_, f) => f),
      (f) =>
        Effect.gen(function*() {
          let version = 0
          for (let i = 0; i < PER_FIBRE; i++) {
            const result = yield* log.append(
              StreamId.make(`fibre-${f}`),
              version === 0 ? "no_stream" : StreamVersion.make(version),
              [benchEvent(i)]
            )
            version = result.streamVersion
          }
        }),
      { concurrency: "unbounded", discard: true }
    )
    return ((FIBRES * PER_FIBRE) / (performance.now() - start)) * 1000
  }))

  await rt.dispose()
  return { single, batched, concurrent }
}

const main = async () => {
  const { dir, cleanup } = tempDir("sqlite")
  try {
    // Warm both paths (JIT, page cache) on throwaway files before measuring.
    await rawSingle(dir, 100)
    await tauBench(dir, "warm.db", 200, 10, 5)
    const rawOne = await rawSingle(dir, SINGLE)
    const rawHundred = await rawBatched(dir, BATCHES)
    const tau = await tauBench(dir, "tau.db", SINGLE, BATCHES, PER_FIBRE)
    console.log(`SQLite appends, synchronous=FULL, WAL (scale ${scale}); rates in events/s`)
    report("(a) single-event appends, 1 per transaction", "events/s", tau.single, rawOne, 0.75)
    report("(b) 100 events per append", "events/s", tau.batched, rawHundred, 0.8)
    report(`(c) ${FIBRES} fibres, single-event appends (group commit)`, "events/s", tau.concurrent, rawOne, 5,
      "raw = one event per transaction")
    writeResults("eventlog-sqlite")
  } finally {
    cleanup()
  }
}

await main()
