/**
 * The append planned in the client: when this writer knows the versions of every stream in a batch (its
 * VersionCache, exact while the log head is the one its last commit left), `planBatch` decides the batch here
 * and the database only has to check that head and insert. One statement moves the head from the cached value
 * to the planned one — under READ COMMITTED the UPDATE waits for the row lock and re-checks its condition on
 * the latest row — and inserts the planned rows only if it did. Nothing is read: against `tau_append_one`'s
 * plain statement this saves the stream-version seek, the stored-id probes and the snapshot checks (~0.06 ms of
 * a ~0.4 ms single append, which then costs about as much as a raw INSERT).
 *
 * The statement inserts nothing (row count 0) when another writer moved the head; it fails with a unique
 * violation when an event id is already stored (perhaps a retry) or a stream assumed new exists. Either way
 * nothing was written and the caller plans the batch in the database instead, which decides retries and
 * conflicts exactly. A batch the cache predicts a conflict for goes there too.
 */
import { nothingStored, planBatch } from "../AppendPlan.ts"
import type { AppendPlan, AppendRequest, EventRow } from "../AppendPlan.ts"
import type { VersionCache } from "../VersionCache.ts"

/**
 * A plan from cached versions alone, or undefined when the batch needs the database: a stream not cached
 * (unless its first request expects `no_stream`, so that version 1 is right or the unique index refuses it),
 * a predicted refusal, or nothing to write.
 */
export const cachedPlan = (
  cache: VersionCache,
  requests: ReadonlyArray<AppendRequest>,
  recordedAt: Date
): AppendPlan | undefined => {
  const head = cache.head()
  if (head < 0) return undefined
  const versions = new Map<string, number>()
  const assumedNew = new Set<string>()
  for (const request of requests) {
    const streamId = request.streamId
    if (versions.has(streamId) || assumedNew.has(streamId)) continue
    const version = cache.get(streamId)
    if (version === undefined || version === 0) {
      if (version === undefined && request.expected !== "no_stream") return undefined
      assumedNew.add(streamId)
    } else {
      versions.set(streamId, version)
    }
  }
  const plan = planBatch(requests, { head, versions, existing: nothingStored }, recordedAt)
  if (plan.rows.length === 0) return undefined
  for (const outcome of plan.outcomes) if (outcome._tag === "Failure") return undefined
  return plan
}

const COLUMNS = "position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at"
const TYPES = ["bigint", "text", "text", "int", "text", "int", "json", "json", "timestamptz"] as const

const moveHead = `WITH moved AS (
  UPDATE tau_log_head SET position = $2::bigint WHERE id = 1 AND position = $1::bigint
  RETURNING pg_notify('tau_events', position::text)
)
INSERT INTO tau_events (${COLUMNS})`

/** Up to this many rows, one statement text per row count with scalar parameters; beyond it, arrays. */
const MAX_SCALAR_ROWS = 64

const scalarText = (rows: number) => {
  const tuples: Array<string> = []
  for (let r = 0; r < rows; r++) {
    tuples.push(`(${TYPES.map((type, c) => `$${3 + r * TYPES.length + c}::${type}`).join(", ")})`)
  }
  return `${moveHead}\nSELECT e.* FROM (VALUES ${tuples.join(", ")}) AS e WHERE EXISTS (SELECT 1 FROM moved)`
}

const arrayText = `${moveHead}
SELECT * FROM unnest(${TYPES.map((type, c) => `$${3 + c}::${type}[]`).join(", ")}) WHERE EXISTS (SELECT 1 FROM moved)`

const texts = new Map<number, string>()
const textFor = (rows: number): string => {
  let text = texts.get(rows)
  if (text === undefined) {
    text = scalarText(rows)
    texts.set(rows, text)
  }
  return text
}

export interface CachedStatement {
  readonly name: string
  readonly text: string
  readonly values: ReadonlyArray<unknown>
}

/** Appends the row's nine parameters in column order. */
const pushRow = (values: Array<unknown>, row: EventRow) => {
  values.push(
    row.position,
    row.eventId,
    row.streamId,
    row.streamVersion,
    row.type,
    row.schemaVersion,
    row.data,
    row.metadata,
    row.recordedAt.toISOString()
  )
}

/** The statement for a cached plan made at `headBefore`; it writes all of `plan.rows` or none. */
export const cachedStatement = (plan: AppendPlan, headBefore: number): CachedStatement => {
  const rows = plan.rows
  if (rows.length <= MAX_SCALAR_ROWS) {
    const values: Array<unknown> = [headBefore, plan.head]
    for (const row of rows) pushRow(values, row)
    return { name: `tau_append_cached_${rows.length}`, text: textFor(rows.length), values }
  }
  const columns: Array<Array<unknown>> = TYPES.map(() => [])
  const values: Array<unknown> = []
  for (const row of rows) {
    values.length = 0
    pushRow(values, row)
    for (let c = 0; c < values.length; c++) columns[c]!.push(values[c])
  }
  return { name: "tau_append_cached_many", text: arrayText, values: [headBefore, plan.head, ...columns] }
}
