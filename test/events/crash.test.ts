/**
 * Durability of the SQLite log against a process that dies mid-append (SIGKILL), and correctness with several
 * processes appending to one file (write lock taken first, so no SQLITE_BUSY_SNAPSHOT) while this one follows it.
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Chunk, Effect, Fiber, Stream } from "effect"
import type { RecordedEvent } from "../../src/events/Envelope.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sqliteEventLogLayer, tempSqliteFile } from "../support/Sqlite.ts"
import { appendWorkers, eventsPerRun } from "../support/AppendWorkers.ts"
import { collectAll, eventsFrom, expectGapFree } from "./contract/helpers.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const script = fileURLToPath(new URL("../support/appendChild.ts", import.meta.url))

interface ChildRun {
  readonly acks: ReadonlyArray<string>
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

/**
 * Runs the child; with `killAfter`, SIGKILLs it once that many appends were acknowledged. With `count`, the
 * child reports "ready" and waits for `go` before appending.
 */
const runChild = (
  file: string,
  tag: string,
  options: {
    readonly killAfter?: number
    readonly count?: number
    readonly go?: Promise<void>
    readonly ready?: () => void
    readonly flush?: "commit" | "background"
  }
) =>
  Effect.async<ChildRun>((resume) => {
    const args = ["--import", "tsx", script, file, tag, String(options.count ?? "forever"), options.flush ?? "commit"]
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] })
    const acks: Array<string> = []
    let partial = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) {
        if (line !== "ready") acks.push(line)
        else {
          options.ready?.()
          void (options.go ?? Promise.resolve()).then(() => child.stdin.write("go\n"))
        }
      }
      if (options.killAfter !== undefined && acks.length >= options.killAfter) child.kill("SIGKILL")
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("exit", (code, signal) => resume(Effect.succeed({ acks, code, signal, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const integrityCheck = (file: string) =>
  Effect.sync(() => {
    const db = new Database(file)
    try {
      return db.pragma("integrity_check", { simple: true })
    } finally {
      db.close()
    }
  })

const readBack = (file: string) => Effect.flatMap(EventLog, collectAll).pipe(Effect.provide(sqliteEventLogLayer(file)))

/** Every acknowledged append is stored at the positions it was told, with its own event ids. */
const expectAcknowledged = (acks: ReadonlyArray<string>, events: ReadonlyArray<RecordedEvent>) => {
  const byPosition = new Map(events.map((e) => [e.position as number, e]))
  for (const ack of acks) {
    const [positions = "", group = ""] = ack.split(" ")
    const list = positions.split(",").map(Number)
    list.forEach((p, j) => expect(byPosition.get(p)?.eventId, ack).toBe(`${group}-${j}of${list.length}`))
  }
}

/** Every batch visible is whole: for each group, all n of its "j of n" events are there. */
const expectWholeBatches = (events: ReadonlyArray<RecordedEvent>) => {
  const groups = new Map<string, { n: number; seen: number }>()
  for (const e of events) {
    const match = /^(.*)-(\d+)of(\d+)$/.exec(e.eventId)
    expect(match, e.eventId).not.toBeNull()
    const [, group = "", , n = "0"] = match!
    const entry = groups.get(group) ?? { n: Number(n), seen: 0 }
    entry.seen++
    groups.set(group, entry)
  }
  for (const [group, { n, seen }] of groups) expect(seen, group).toBe(n)
}

describe("SQLite event log across processes", () => {
  it.live("a child SIGKILLed mid-append (fsync in the background) loses no acknowledged event and leaves no partial batch", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const run = yield* runChild(file, "k", { killAfter: 400, flush: "background" })
      expect(run.signal, run.stderr).toBe("SIGKILL")
      expect(run.acks.length).toBeGreaterThanOrEqual(400)

      expect(yield* integrityCheck(file)).toBe("ok")
      const events = yield* readBack(file)
      expectGapFree(events)
      expectAcknowledged(run.acks, events)
      expectWholeBatches(events)
      // The log is still writable after the crash: a second child continues from the recovered head.
      const again = yield* runChild(file, "k2", { count: 5 })
      expect(again.code, again.stderr).toBe(0)
      const after = yield* readBack(file)
      expectGapFree(after)
      expectAcknowledged([...run.acks, ...again.acks], after)
      expect(yield* integrityCheck(file)).toBe("ok")
    })), 60_000)

  it.live("two processes and this one appending to one file at the same time (fsync in COMMIT and in the background): one gap-free order, followed live", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = yield* tempSqliteFile
      const appends = 60
      const total = 3 * eventsPerRun(appends)
      yield* Effect.gen(function*() {
        const log = yield* EventLog
        // This process follows the log while the children write: their commits arrive by polling.
        const subscriber = yield* log.subscribeRaw(1, { pageSize: 50 }).pipe(Stream.take(total), Stream.runCollect, Effect.fork)
        const tags = ["a", "b"]
        let waiting = tags.length
        let start = () => {}
        const go = new Promise<void>((resolve) => (start = resolve))
        const ready = () => {
          if (--waiting === 0) start()
        }
        const own: Array<string> = []
        const [runs] = yield* Effect.all([
          Effect.all(
            tags.map((tag, i) => runChild(file, tag, { count: appends, go, ready, flush: i === 0 ? "commit" : "background" })),
            { concurrency: "unbounded" }
          ),
          Effect.zipRight(Effect.promise(() => go), appendWorkers(log, "p", appends, (line) => own.push(line)))
        ], { concurrency: "unbounded" })
        for (const run of runs) {
          expect(run.code, run.stderr).toBe(0)
          expect(run.acks.length).toBe(4 * appends)
        }
        const events = yield* collectAll(log)
        expectGapFree(events)
        expect(events.length).toBe(total)
        expectAcknowledged([...own, ...runs.flatMap((r) => r.acks)], events)
        expectWholeBatches(events)
        // The writers really interleaved: commits of different processes alternate in the log.
        const writer = (e: RecordedEvent) => e.streamId.split("-")[1]
        expect(events.filter((e, i) => i > 0 && writer(e) !== writer(events[i - 1]!)).length).toBeGreaterThan(2)
        const seen = yield* Fiber.join(subscriber).pipe(Effect.timeout("20 seconds"))
        expect(eventsFrom(Chunk.toReadonlyArray(seen))).toEqual(eventsFrom(events))
      }).pipe(Effect.provide(sqliteEventLogLayer(file, {}, "background")))
      expect(yield* integrityCheck(file)).toBe("ok")
    })), 60_000)
})
