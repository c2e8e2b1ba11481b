/**
 * Shared bench helpers: temp files, timing, and the one output format every bench prints:
 * `name  tau=<rate>  raw=<rate>  ratio=<tau/raw>  target=<t>  ok|MISS`, plus a JSON line per result in
 * bench/results/<bench>.json so docs/performance.md can quote exact figures.
 */
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
