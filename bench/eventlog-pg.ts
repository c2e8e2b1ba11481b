/**
 * (e) Append throughput on PostgreSQL against raw `pg` on the same schema, ids and durability
 * (synchronous_commit as the server has it), in the same run:
 *   (a) single-event appends, one per transaction        target >= 0.8x raw (raw: one autocommit INSERT)
 *   (b) 100 events per append                             target >= 0.8x raw (raw: one multi-row INSERT)
 *   (c) 64 fibres appending single events (group commit) target >= 5x raw one-per-transaction
 * Needs TAU_TEST_DATABASE_URL (or TAU_BENCH_DATABASE_URL); creates and drops its own databases.
 * Run: npm run bench:pg   (or: node --import tsx bench/eventlog-pg.ts [scale])
 */
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import pg from "pg"
import { StreamId, StreamVersion } from "../src/domain/Ids.ts"
import { EventLog } from "../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../src/events/EventLogOptions.ts"
import * as PgDatabase from "../src/events/pg/PgDatabase.ts"
import * as PgEventLog from "../src/events/pg/PgEventLog.ts"
import { pgEventLogMigrations } from "../src/events/pg/migrations.ts"
import { benchEvent, EVENT_COLUMNS, rawRowMaker, report, writeResults } from "./common.ts"

const baseUrl = process.env.TAU_BENCH_DATABASE_URL ?? process.env.TAU_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const scale = Number(process.argv[2] ?? "1")
const SINGLE = Math.round(1500 * scale)
const BATCHES = Math.round(150 * scale)
const FIBRES = 64
const PER_FIBRE = Math.round(40 * scale)

const admin = async <A>(f: (c: pg.Client) => Promise<A>) => {
  const c = new pg.Client({ connectionString: baseUrl })
  await c.connect()
  try {
    return await f(c)
  } finally {
    await c.end()
  }
}

const withDatabase = async <A>(f: (url: string) => Promise<A>): Promise<A> => {
  const name = `tau_bench_${randomBytes(5).toString("hex")}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  try {
    return await f(url.toString())
  } finally {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
}

const tauRuntime = (url: string) =>
  ManagedRuntime.make(
    PgEventLog.layerWith(defaultEventLogOptions).pipe(
      Layer.provideMerge(PgDatabase.layer({ url: Redacted.make(url), migrations: pgEventLogMigrations }))
    )
  )

const migrate = async (url: string) => {
  const rt = tauRuntime(url)
  await rt.runPromise(Effect.asVoid(EventLog))
  await rt.dispose()
}

const raw = (url: string) =>
  withDatabase(async (dbUrl) => {
    void url
    await migrate(dbUrl)
    const client = new pg.Client({ connectionString: dbUrl })
    await client.connect()
    const row = rawRowMaker(() => new Date())
    const insertOne = {
      name: "insert-one",
      text: `INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`
    }
    for (let i = 0; i < 100; i++) await client.query({ ...insertOne, values: [...row("warm", i)] })
    let start = performance.now()
    for (let i = 0; i < SINGLE; i++) await client.query({ ...insertOne, values: [...row(`session-${i % 100}`, i)] })
    const single = (SINGLE / (performance.now() - start)) * 1000

    const multi = `INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES ` +
      Array.from({ length: 100 }, (_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(",")})`).join(",")
    start = performance.now()
    for (let b = 0; b < BATCHES; b++) {
      const values: Array<unknown> = []
      for (let i = 0; i < 100; i++) values.push(...row(`batch-${b}`, i))
      await client.query({ name: "insert-100", text: multi, values })
    }
    const batched = ((BATCHES * 100) / (performance.now() - start)) * 1000
    await client.end()
    return { single, batched }
  })

const tau = (counts: { single: number; batches: number; perFibre: number }) =>
  withDatabase(async (url) => {
    const rt = tauRuntime(url)
    const result = await rt.runPromise(Effect.gen(function*() {
      const log = yield* EventLog
      const versions = new Map<string, number>()
      let start = performance.now()
      for (let i = 0; i < counts.single; i++) {
        const stream = `session-${i % 100}`
        const expected = versions.get(stream) ?? 0
        const r = yield* log.append(StreamId.make(stream), expected === 0 ? "no_stream" : StreamVersion.make(expected), [benchEvent(i)])
        versions.set(stream, r.streamVersion)
      }
      const single = (counts.single / (performance.now() - start)) * 1000

      const events = Array.from({ length: 100 }, (_, i) => benchEvent(i))
      start = performance.now()
      for (let b = 0; b < counts.batches; b++) yield* log.append(StreamId.make(`batch-${b}`), "no_stream", events)
      const batched = ((counts.batches * 100) / (performance.now() - start)) * 1000

      start = performance.now()
      yield* Effect.forEach(Array.from({ length: FIBRES }, (_, f) => f), (f) =>
        Effect.gen(function*() {
          let version = 0
          for (let i = 0; i < counts.perFibre; i++) {
            const r = yield* log.append(StreamId.make(`fibre-${f}`), version === 0 ? "no_stream" : StreamVersion.make(version), [benchEvent(i)])
            version = r.streamVersion
          }
        }), { concurrency: "unbounded", discard: true })
      const concurrent = ((FIBRES * counts.perFibre) / (performance.now() - start)) * 1000
      return { single, batched, concurrent }
    }))
    await rt.dispose()
    return result
  })

const main = async () => {
  await tau({ single: 200, batches: 10, perFibre: 5 }) // warm-up
  const r = await raw(baseUrl)
  const t = await tau({ single: SINGLE, batches: BATCHES, perFibre: PER_FIBRE })
  console.log(`PostgreSQL appends (scale ${scale}); rates in events/s`)
  report("(e-a) single-event appends, 1 per transaction", "events/s", t.single, r.single, 0.8,
    "raw = one autocommit INSERT")
  report("(e-b) 100 events per append", "events/s", t.batched, r.batched, 0.8, "raw = one 100-row INSERT")
  report(`(e-c) ${FIBRES} fibres, single-event appends (group commit)`, "events/s", t.concurrent, r.single, 5,
    "raw = one event per transaction")
  writeResults("eventlog-pg")
}

await main()
