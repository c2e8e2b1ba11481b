/**
 * Shared bench helpers: temp files, timing, and the one output format every bench prints:
 * `name  tau=<rate>  raw=<rate>  ratio=<tau/raw>  target=<t>  ok|MISS`, plus a JSON line per result in
 * bench/results/<bench>.json so docs/performance.md can quote exact figures.
 */
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encodeEvent } from "../src/events/Codec.ts"
import { newEventId, SessionId } from "../src/domain/Ids.ts"
import { UserMessageReceived } from "../src/events/TauEvent.ts"

export interface BenchResult {
  readonly name: string
  readonly unit: string
  readonly tau: number
  readonly raw: number
  readonly ratio: number
  readonly target: number
  readonly ok: boolean
  readonly note?: string
}

export const tempDir = (prefix: string): { readonly dir: string; readonly cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), `tau-bench-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export const time = async <A>(f: () => Promise<A> | A): Promise<{ readonly ms: number; readonly value: A }> => {
  const start = performance.now()
  const value = await f()
  return { ms: performance.now() - start, value }
}

const results: Array<BenchResult> = []

export const report = (
  name: string,
  unit: string,
  tau: number,
  raw: number,
  target: number,
  note?: string
): BenchResult => {
  const ratio = tau / raw
  const result: BenchResult = { name, unit, tau, raw, ratio, target, ok: ratio >= target, ...(note ? { note } : {}) }
  results.push(result)
  const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2)
  console.log(
    `${name.padEnd(58)} tau=${fmt(tau).padStart(9)} raw=${fmt(raw).padStart(9)} ${unit.padEnd(9)} ` +
      `ratio=${ratio.toFixed(2)}x target>=${target}x ${result.ok ? "ok" : "MISS"}${note ? `  (${note})` : ""}`
  )
  return result
}

/**
 * This machine's speed now, for work like a Tau server's main thread: the milliseconds a fixed piece of it takes
 * (20,000 small Effect programs, objects made and dropped, JSON round trips; the median of 40 timed rounds of
 * 1,000 after 20 to warm up). The VMs here differ by up to 2.4x between sittings in CPU per request while a plain
 * node:http server changes much less, so benches print this beside their figures: a change in it is the machine,
 * not the code.
 */
export const calibrationMs = (): number => {
  const program = (i: number) =>
    Effect.gen(function*() {
      const event = yield* Effect.succeed({ _tag: "UserMessageReceived", turn: i, content: `message ${i}`, at: i * 7 })
      const copy = yield* Effect.sync(() => JSON.parse(JSON.stringify(event)) as typeof event)
      return yield* Effect.map(Effect.succeed(copy), (c) => c.turn + c.content.length)
    })
  const rounds: Array<number> = []
  for (let round = 0; round < 60; round++) {
    const started = performance.now()
    let sum = 0
    for (let i = 0; i < 1_000; i++) sum += Effect.runSync(program(i))
    if (sum < 0) throw new Error("unreachable")
    rounds.push(performance.now() - started)
  }
  // The first rounds warm the JIT up; of the rest, the median (a round with a collection in it is slower).
  const measured = rounds.slice(20).sort((a, b) => a - b)
  return measured[Math.floor(measured.length / 2)]! * 20
}

export const writeResults = (bench: string) => {
  mkdirSync("bench/results", { recursive: true })
  writeFileSync(
    join("bench/results", `${bench}.json`),
    JSON.stringify({ bench, at: new Date().toISOString(), node: process.version, results }, null, 2)
  )
}

/** The event every append bench writes: a user message of realistic size, encoded once like Tau encodes it. */
export const benchEvent = (i: number) =>
  new UserMessageReceived({
    sessionId: SessionId.make("0193a7f0-0000-7000-8000-000000000000"),
    content: `Please refactor the parser in src/parser.ts so that error messages include line numbers (${i}).`
  })

export const encodedBenchEvent = (i: number) => encodeEvent(benchEvent(i))

/** Metadata of the same shape and size the log writes inside a span (trace and span ids). */
export const benchMetadata = JSON.stringify({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" })

/** Column list of `tau_events`, in the order the raw baselines bind their parameters. */
export const EVENT_COLUMNS = "position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at"

/**
 * Rows for a raw baseline: the same ids (UUIDv7), encoded data and metadata Tau writes, numbered gap-free
 * with per-stream versions, as the log would number them.
 */
export const rawRowMaker = <T>(recordedAt: () => T) => {
  let position = 0
  const versions = new Map<string, number>()
  return (stream: string, i: number) => {
    const e = encodedBenchEvent(i)
    const version = (versions.get(stream) ?? 0) + 1
    versions.set(stream, version)
    return [++position, newEventId(), stream, version, e.type, e.schemaVersion, e.data, benchMetadata, recordedAt()] as const
  }
}

/** Elapsed milliseconds per side, summed over slices. */
export interface Clock {
  raw: number
  tau: number
}

/**
 * Both sides run in slices that alternate (raw, Tau, Tau, raw, …) on two databases open side by side, and each
 * rate is its side's work over its summed time: the machine is shared, and load that drifts over a run would
 * otherwise land on whichever side ran later. The work per side is unchanged.
 */
export const interleaved = async (
  slices: number,
  rawSlice: (slice: number) => Promise<void>,
  tauSlice: (slice: number) => Promise<void>
): Promise<Clock> => {
  const clock: Clock = { raw: 0, tau: 0 }
  const timed = async (side: keyof Clock, f: () => Promise<void>) => {
    const start = performance.now()
    await f()
    clock[side] += performance.now() - start
  }
  for (let s = 0; s < slices; s++) {
    if (s % 2 === 0) {
      await timed("raw", () => rawSlice(s))
      await timed("tau", () => tauSlice(s))
    } else {
      await timed("tau", () => tauSlice(s))
      await timed("raw", () => rawSlice(s))
    }
  }
  return clock
}
