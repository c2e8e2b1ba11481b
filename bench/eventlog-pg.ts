/**
 * (e) Append throughput on PostgreSQL against raw `pg` on the same schema, ids and durability
 * (synchronous_commit as the server has it), in the same run:
 *   (a) single-event appends, one per transaction        target >= 0.8x raw (raw: one autocommit INSERT)
 *   (b) 100 events per append                             target >= 0.8x raw (raw: one multi-row INSERT)
 *   (c) 64 fibres appending single events (group commit) target >= 5x raw one-per-transaction
 * Raw and Tau run in alternating slices (see `interleaved`) so that load drifting on a shared machine hits both.
 * Needs TAU_TEST_DATABASE_URL (or TAU_BENCH_DATABASE_URL); creates and drops its own databases.
 * Run: npm run bench:pg   (or: node --import ./bin/register.mjs bench/eventlog-pg.ts [scale])
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
import { benchEvent, EVENT_COLUMNS, interleaved, rawRowMaker, report, writeResults } from "./common.ts"

const baseUrl = process.env.TAU_BENCH_DATABASE_URL ?? process.env.TAU_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const scale = Number(process.argv[2] ?? "1")
// Single appends run 10 slices of 450 per side: with slices of 150 (~50 ms) the cold first appends after each
// switch between the sides weighed enough to move the ratio by ~0.08 (docs/performance.md).
const SINGLE = Math.round(4500 * scale)
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

const SLICES = 10
/** Fewer, longer slices for (e-c): each slice starts 64 fibres afresh, and group commit needs them all queued. */
const FIBRE_SLICES = 4

const main = () =>
  withDatabase((rawUrl) =>
    withDatabase(async (tauUrl) => {
      await migrate(rawUrl)
      const client = new pg.Client({ connectionString: rawUrl })
      await client.connect()
      const rt = tauRuntime(tauUrl)
      const log = await rt.runPromise(EventLog)
      try {
        const row = rawRowMaker(() => new Date())
        const insertOne = {
          name: "insert-one",
          text: `INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`
        }
        const multi = `INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES ` +
          Array.from({ length: 100 }, (_, r) => `(${Array.from({ length: 9 }, (_, c) => `$${r * 9 + c + 1}`).join(",")})`).join(",")
        const versions = new Map<string, number>()
        // One append and its bookkeeping, without a generator of its own (as the SQLite bench's loop does): the
        // harness's per-append overhead stays as small as the raw side's `await`.
        const tauSingle = (stream: string, i: number) => {
          const expected = versions.get(stream) ?? 0
          const append = log.append(StreamId.make(stream), expected === 0 ? "no_stream" : StreamVersion.make(expected), [benchEvent(i)])
          return Effect.map(append, (r) => {
            versions.set(stream, r.streamVersion)
          })
        }

        // Warm-up on both databases (connections, plans, JIT), untimed.
        for (let i = 0; i < 100; i++) await client.query({ ...insertOne, values: [...row("warm", i)] })
        await rt.runPromise(Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => tauSingle("warm", i), { discard: true }))

        const perSlice = Math.ceil(SINGLE / SLICES)
        const single = await interleaved(SLICES, async (s) => {
          for (let i = s * perSlice; i < (s + 1) * perSlice; i++) {
            await client.query({ ...insertOne, values: [...row(`session-${i % 100}`, i)] })
          }
        }, (s) =>
          rt.runPromise(Effect.gen(function*() {
            for (let i = s * perSlice; i < (s + 1) * perSlice; i++) yield* tauSingle(`session-${i % 100}`, i)
          })))

        const batchesPerSlice = Math.ceil(BATCHES / SLICES)
        const events = Array.from({ length: 100 }, (_, i) => benchEvent(i))
        const batched = await interleaved(SLICES, async (s) => {
          for (let b = s * batchesPerSlice; b < (s + 1) * batchesPerSlice; b++) {
            const values: Array<unknown> = []
            for (let i = 0; i < 100; i++) values.push(...row(`batch-${b}`, i))
            await client.query({ name: "insert-100", text: multi, values })
          }
        }, (s) =>
          rt.runPromise(Effect.gen(function*() {
            for (let b = s * batchesPerSlice; b < (s + 1) * batchesPerSlice; b++) {
              yield* log.append(StreamId.make(`batch-${b}`), "no_stream", events)
            }
          })))

        // (e-c) is judged against raw single inserts, measured again alongside it.
        const fibreSlice = Math.ceil(PER_FIBRE / FIBRE_SLICES)
        const rawPerSlice = Math.ceil(SINGLE / FIBRE_SLICES)
        let rawCount = 0
        const concurrent = await interleaved(FIBRE_SLICES, async () => {
          for (let i = 0; i < rawPerSlice; i++, rawCount++) {
            await client.query({ ...insertOne, values: [...row(`single-${rawCount % 100}`, rawCount)] })
          }
        }, (s) =>
          rt.runPromise(Effect.forEach(Array.from({ length: FIBRES }, (_, f) => f), (f) =>
            Effect.gen(function*() {
              for (let i = s * fibreSlice; i < (s + 1) * fibreSlice; i++) yield* tauSingle(`fibre-${f}`, i)
            }), { concurrency: "unbounded", discard: true })))

        const rate = (count: number, ms: number) => (count / ms) * 1000
        return {
          single: { tau: rate(perSlice * SLICES, single.tau), raw: rate(perSlice * SLICES, single.raw) },
          batched: { tau: rate(batchesPerSlice * SLICES * 100, batched.tau), raw: rate(batchesPerSlice * SLICES * 100, batched.raw) },
          concurrent: {
            tau: rate(FIBRES * fibreSlice * FIBRE_SLICES, concurrent.tau),
            raw: rate(rawPerSlice * FIBRE_SLICES, concurrent.raw)
          }
        }
      } finally {
        await client.end()
        await rt.dispose()
      }
    })
  )

const r = await main()
console.log(`PostgreSQL appends (scale ${scale}); rates in events/s; raw and Tau slices interleaved`)
report("(e-a) single-event appends, 1 per transaction", "events/s", r.single.tau, r.single.raw, 0.8,
  "raw = one autocommit INSERT")
report("(e-b) 100 events per append", "events/s", r.batched.tau, r.batched.raw, 0.8, "raw = one 100-row INSERT")
report(`(e-c) ${FIBRES} fibres, single-event appends (group commit)`, "events/s", r.concurrent.tau, r.concurrent.raw, 5,
  "raw = one event per transaction")
writeResults("eventlog-pg")
