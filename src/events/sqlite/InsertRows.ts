/**
 * Multi-row INSERTs of numbered event rows, shared by both SQLite append paths: one statement per chunk,
 * because each statement through a driver wrapper costs more than the rows it carries.
 */
import type { EventRow } from "../AppendPlan.ts"

/** Rows per INSERT statement: 9 parameters each, well below SQLite's 32766 variable limit. */
export const INSERT_CHUNK = 1000

export const EVENT_COLUMNS =
  "position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at"

const texts = new Map<number, string>()

/** The INSERT text for `rows` rows, cached per row count. */
export const insertText = (rows: number): string => {
  let text = texts.get(rows)
  if (text === undefined) {
    text = `INSERT INTO tau_events (${EVENT_COLUMNS}) VALUES ` + new Array(rows).fill("(?,?,?,?,?,?,?,?,?)").join(",")
    texts.set(rows, text)
  }
  return text
}

/** Calls `insert(rowCount, params)` once per chunk of `rows`, with the chunk's parameters in column order. */
export const forEachInsertChunk = (
  rows: ReadonlyArray<EventRow>,
  insert: (rowCount: number, params: Array<string | number>) => void
): void => {
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const end = Math.min(rows.length, start + INSERT_CHUNK)
    const params: Array<string | number> = new Array((end - start) * 9)
    let p = 0
    for (let i = start; i < end; i++) {
      const r = rows[i]!
      params[p++] = r.position
      params[p++] = r.eventId
      params[p++] = r.streamId
      params[p++] = r.streamVersion
      params[p++] = r.type
      params[p++] = r.schemaVersion
      params[p++] = r.data
      params[p++] = r.metadata
      params[p++] = r.recordedAt.getTime()
    }
    insert(end - start, params)
  }
}
