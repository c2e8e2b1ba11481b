/**
 * Append throughput on SQLite (synchronous=FULL, WAL) against raw better-sqlite3 on the same schema,
 * ids (UUIDv7) and durability, in the same run:
 *   (a) single-event appends, one per transaction        target >= 0.75x raw
 *   (b) 100 events per append                             target >= 0.8x raw
 *   (c) 64 fibres appending single events (group commit) target >= 5x raw one-per-transaction
 * Raw and Tau run in alternating slices (`interleaved`, bench/common.ts) on databases open side by side.
 * The targets are for the library's default flush (fsync inside COMMIT); (a) and (c) run again with the
 * background flush `tau serve` uses (fdatasync on the thread pool, src/events/sqlite/WalSync.ts).
 * Run: npm run bench:sqlite   (or: node --import ./bin/register.mjs bench/eventlog-sqlite.ts [scale])
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
import { benchEvent, EVENT_COLUMNS, interleaved, rawRowMaker, report, tempDir, writeResults } from "./common.ts"

const scale = Number(process.argv[2] ?? "1")
// Single appends run 10 slices of 450 per side: with slices of 150 (~50 ms) the cold first appends after each
// switch between the sides weighed enough to move the ratio by ~0.08 (docs/performance.md).
const SINGLE = Math.round(4500 * scale)
const BATCHES = Math.round(150 * scale)
const FIBRES = 64
const PER_FIBRE = Math.round(40 * scale)

const tauRuntime = (filename: string, flush: SqliteDatabase.Flush = "commit") =>
  ManagedRuntime.make(
    SqliteEventLog.layerWith(defaultEventLogOptions).pipe(
      Layer.provideMerge(SqliteDatabase.layer({ filename, synchronous: "FULL", flush, migrations: sqliteEventLogMigrations }))
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

const tauRuntimeReady = async (filename: string, flush: SqliteDatabase.Flush) => {
  const rt = tauRuntime(filename, flush)
  await rt.runPromise(Effect.asVoid(EventLog))
  return rt
}

const SLICES = 10
/** Fewer, longer slices for (c): each slice starts 64 fibres afresh, and group commit needs them all queued. */
const FIBRE_SLICES = 4

/**
 * Each comparison runs raw and Tau in alternating slices (see `interleaved`) on databases open side by side: load
 * drifting on a shared machine then hits both sides alike. The work per side is the same as one long run.
 */
const measure = async (
  dir: string,
  tag: string,
  single: number,
  batches: number,
  perFibre: number,
  flush: SqliteDatabase.Flush = "commit"
) => {
  const rawOne = await rawDatabase(join(dir, `${tag}-raw-single.db`))
  const rawMany = await rawDatabase(join(dir, `${tag}-raw-batched.db`))
  const rt = await tauRuntimeReady(join(dir, `${tag}-tau.db`), flush)
  const run = <A, E>(effect: Effect.Effect<A, E, EventLog>) => rt.runPromise(effect)
  try {
    const rawBegin = (db: typeof rawOne.db) => ({ begin: db.prepare("BEGIN IMMEDIATE"), commit: db.prepare("COMMIT") })
    const one = rawBegin(rawOne.db)
    const many = rawBegin(rawMany.db)
    let rawI = 0
    const rawSingleSlice = (n: number) => async () => {
      for (let k = 0; k < n; k++, rawI++) {
        one.begin.run()
        rawOne.insert.run(...rawOne.row(`session-${rawI % 100}`, rawI))
        one.commit.run()
      }
    }
    const versions = new Map<string, number>()
    let tauI = 0
    const tauSingleSlice = (n: number) => () =>
      run(Effect.gen(function*() {
        const log = yield* EventLog
        for (let k = 0; k < n; k++, tauI++) {
          const stream = `session-${tauI % 100}`
          const expected = versions.get(stream) ?? 0
          const result = yield* log.append(
            StreamId.make(stream),
            expected === 0 ? "no_stream" : StreamVersion.make(expected),
            [benchEvent(tauI)]
          )
          versions.set(stream, result.streamVersion)
        }
      }))

    const perSlice = Math.ceil(single / SLICES)
    const singleClock = await interleaved(SLICES, rawSingleSlice(perSlice), tauSingleSlice(perSlice))

    const batchesPerSlice = Math.ceil(batches / SLICES)
    let rawBatch = 0
    let tauBatch = 0
    const events = Array.from({ length: 100 }, (_, i) => benchEvent(i))
    const batchedClock = await interleaved(SLICES, async () => {
      for (let b = 0; b < batchesPerSlice; b++, rawBatch++) {
        many.begin.run()
        for (let i = 0; i < 100; i++) rawMany.insert.run(...rawMany.row(`session-${rawBatch}`, i))
        many.commit.run()
      }
    }, () =>
      run(Effect.gen(function*() {
        const log = yield* EventLog
        for (let b = 0; b < batchesPerSlice; b++, tauBatch++) {
          yield* log.append(StreamId.make(`batch-${tauBatch}`), "no_stream", events)
        }
      })))

    const fibreSlice = Math.ceil(perFibre / FIBRE_SLICES)
    const rawPerFibreSlice = Math.ceil(single / FIBRE_SLICES)
    const fibreVersions = new Map<number, number>()
    const concurrentClock = await interleaved(FIBRE_SLICES, rawSingleSlice(rawPerFibreSlice), () =>
      run(Effect.gen(function*() {
        const log = yield* EventLog
        yield* Effect.forEach(
          Array.from({ length: FIBRES }, (_, f) => f),
          (f) =>
            Effect.gen(function*() {
              for (let i = 0; i < fibreSlice; i++) {
                const version = fibreVersions.get(f) ?? 0
                const result = yield* log.append(
                  StreamId.make(`fibre-${f}`),
                  version === 0 ? "no_stream" : StreamVersion.make(version),
                  [benchEvent(i)]
                )
                fibreVersions.set(f, result.streamVersion)
              }
            }),
          { concurrency: "unbounded", discard: true }
        )
      })))

    const rate = (events: number, ms: number) => (events / ms) * 1000
    return {
      single: { tau: rate(perSlice * SLICES, singleClock.tau), raw: rate(perSlice * SLICES, singleClock.raw) },
      batched: {
        tau: rate(batchesPerSlice * SLICES * 100, batchedClock.tau),
        raw: rate(batchesPerSlice * SLICES * 100, batchedClock.raw)
      },
      concurrent: {
        tau: rate(FIBRES * fibreSlice * FIBRE_SLICES, concurrentClock.tau),
        raw: rate(rawPerFibreSlice * FIBRE_SLICES, concurrentClock.raw)
      }
    }
  } finally {
    await rt.dispose()
    rawOne.db.close()
    rawMany.db.close()
  }
}

const main = async () => {
  const { dir, cleanup } = tempDir("sqlite")
  try {
    // Warm both paths (JIT, page cache) on throwaway files before measuring.
    await measure(dir, "warm", 200, 10, 5)
    await measure(dir, "warm-bg", 200, 10, 5, "background")
    const result = await measure(dir, "run", SINGLE, BATCHES, PER_FIBRE)
    const background = await measure(dir, "run-bg", SINGLE, 0, PER_FIBRE, "background")
    console.log(`SQLite appends, synchronous=FULL, WAL (scale ${scale}); rates in events/s; raw and Tau slices interleaved`)
    report("(a) single-event appends, 1 per transaction", "events/s", result.single.tau, result.single.raw, 0.75)
    report("(b) 100 events per append", "events/s", result.batched.tau, result.batched.raw, 0.8)
    report(`(c) ${FIBRES} fibres, single-event appends (group commit)`, "events/s", result.concurrent.tau,
      result.concurrent.raw, 5, "raw = one event per transaction")
    report("(a) with flush=background (tau serve)", "events/s", background.single.tau, background.single.raw, 0.75,
      "not the default; the event loop is free during each flush")
    report(`(c) with flush=background (tau serve)`, "events/s", background.concurrent.tau, background.concurrent.raw, 5)
    writeResults("eventlog-sqlite")
  } finally {
    cleanup()
  }
}

await main()
