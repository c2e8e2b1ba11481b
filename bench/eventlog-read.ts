/**
 * (d) Reading the whole log: EventLog.readAll (keyset pages) + decode into catalogue events, against raw
 * better-sqlite3 iterate + JSON.parse over the same 1,000,000 rows, in the same run.   target >= 0.6x raw
 * Run: npm run bench:read   (or: node --import ./bin/register.mjs bench/eventlog-read.ts [events])
 */
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { join } from "node:path"
import { uuidv7 } from "../src/domain/Uuid.ts"
import { EventLog } from "../src/events/EventLog.ts"
import { defaultEventLogOptions } from "../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../src/events/sqlite/migrations.ts"
import { benchMetadata, encodedBenchEvent, EVENT_COLUMNS, report, tempDir, writeResults } from "./common.ts"

const TOTAL = Number(process.argv[2] ?? "1000000")
const PAGE = 5000

const layer = (filename: string) =>
  SqliteEventLog.layerWith({ ...defaultEventLogOptions, pageSize: PAGE }).pipe(
    Layer.provideMerge(SqliteDatabase.layer({ filename, synchronous: "FULL", migrations: sqliteEventLogMigrations }))
  )

const populate = async (filename: string) => {
  const rt = ManagedRuntime.make(layer(filename))
  await rt.runPromise(Effect.asVoid(EventLog))
  await rt.dispose()
  const db = new Database(filename)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = OFF")
  const insert = db.prepare(`INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)`)
  const now = Date.now()
  const write = db.transaction((from: number, to: number) => {
    for (let p = from; p <= to; p++) {
      const e = encodedBenchEvent(p)
      insert.run(p, uuidv7(), `session-${p % 10_000}`, Math.floor((p - 1) / 10_000) + 1, e.type, e.schemaVersion, e.data, benchMetadata, now)
    }
  })
  for (let from = 1; from <= TOTAL; from += 50_000) write(from, Math.min(TOTAL, from + 49_999))
  db.pragma("wal_checkpoint(TRUNCATE)")
  db.close()
}

const rawRead = (filename: string) => {
  const db = new Database(filename, { readonly: true })
  const start = performance.now()
  let n = 0
  let chars = 0
  for (const row of db.prepare(`SELECT ${EVENT_COLUMNS} FROM tau_events ORDER BY position`).iterate() as IterableIterator<{ data: string; metadata: string }>) {
    const data = JSON.parse(row.data) as { content: string }
    JSON.parse(row.metadata)
    chars += data.content.length
    n++
  }
  const ms = performance.now() - start
  db.close()
  if (n !== TOTAL || chars === 0) throw new Error(`raw read saw ${n} events`)
  return (n / ms) * 1000
}

const tauRead = async (filename: string) => {
  const rt = ManagedRuntime.make(layer(filename))
  const rate = await rt.runPromise(Effect.gen(function*() {
    const log = yield* EventLog
    const start = performance.now()
    let n = 0
    let chars = 0
    let from = 1
    while (true) {
      const page = yield* log.readAll(from, PAGE)
      if (page.length === 0) break
      for (const envelope of page) {
        if (envelope.event._tag === "UserMessageReceived") chars += envelope.event.content.length
      }
      n += page.length
      from = page[page.length - 1]!.position + 1
    }
    const ms = performance.now() - start
    if (n !== TOTAL || chars === 0) throw new Error(`tau read saw ${n} events`)
    return (n / ms) * 1000
  }))
  await rt.dispose()
  return rate
}

const main = async () => {
  const { dir, cleanup } = tempDir("read")
  try {
    const file = join(dir, "log.db")
    console.log(`populating ${TOTAL.toLocaleString("en-US")} events…`)
    await populate(file)
    rawRead(file) // warm page cache and JIT
    const raw = rawRead(file)
    const tau = await tauRead(file)
    console.log("SQLite full read, events/s")
    report(`(d) readAll + decode of ${TOTAL.toLocaleString("en-US")} events`, "events/s", tau, raw, 0.6,
      "raw = iterate + JSON.parse")
    writeResults("eventlog-read")
  } finally {
    cleanup()
  }
}

await main()
