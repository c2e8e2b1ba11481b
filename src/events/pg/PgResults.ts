/**
 * What PostgreSQL answers, in the event log's terms: stored rows as recorded events, `tau_append` result rows as
 * append outcomes, and driver errors as EventLogError (busy or storage, with the SQLSTATE).
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { EventId, Position, StreamId, StreamVersion } from "../../domain/Ids.ts"
import type { AppendOutcome, AppendRequest } from "../AppendPlan.ts"
import type { EventMetadata, RecordedEvent } from "../Envelope.ts"
import { EventIdConflict, EventLogError, StreamVersionConflict } from "../Errors.ts"

type Method = EventLogError["method"]

/** SQLSTATEs that mean "try again later": serialization failure, deadlock, lock_timeout, statement_timeout. */
const busyStates = new Set(["40001", "40P01", "55P03", "57014"])

export const sqlState = (error: SqlError): string | undefined => {
  const cause: unknown = error.cause
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined
}

const causeMessage = (error: SqlError): string =>
  error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message

export const toEventLogError = (method: Method) => (error: SqlError): EventLogError => {
  const state = sqlState(error)
  return new EventLogError({
    method,
    reason: state !== undefined && busyStates.has(state) ? "busy" : "storage",
    message: state !== undefined && /^[0-9A-Z]{5}$/.test(state) ? `${causeMessage(error)} (SQLSTATE ${state})` : causeMessage(error),
    cause: error
  })
}

/** pg returns BIGINT as a string; positions stay below 2^53, so Number is exact. */
const toRecorded = (r: ReadonlyArray<unknown>): RecordedEvent => ({
  position: Number(r[0]) as Position,
  eventId: r[1] as EventId,
  streamId: r[2] as StreamId,
  streamVersion: Number(r[3]) as StreamVersion,
  type: r[4] as string,
  schemaVersion: Number(r[5]),
  data: JSON.parse(r[6] as string),
  metadata: JSON.parse(r[7] as string) as EventMetadata,
  recordedAt: r[8] instanceof Date ? r[8] : new Date(r[8] as string)
})

export const toRecordedAll = (rows: ReadonlyArray<ReadonlyArray<unknown>>): ReadonlyArray<RecordedEvent> => {
  const out: Array<RecordedEvent> = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = toRecorded(rows[i]!)
  return out
}

/** One result row of `tau_append`: (kind, positions, version, event id, actual, head). */
export const toOutcome = (request: AppendRequest, row: ReadonlyArray<unknown>): AppendOutcome | undefined => {
  const { streamId } = request
  const kind = row[0] as string
  switch (kind) {
    case "ok":
    case "retry": {
      const positions = (row[1] as ReadonlyArray<string | number>).map((p) => Number(p) as Position)
      return {
        _tag: "Success",
        result: { streamId, positions, streamVersion: Number(row[2]) as StreamVersion, written: kind === "ok" && positions.length > 0 }
      }
    }
    case "version":
      return {
        _tag: "Failure",
        error: new StreamVersionConflict({ streamId, expected: request.expected, actual: Number(row[4]) })
      }
    case "duplicate-in-append":
    case "partial-batch":
    case "content-differs":
      return { _tag: "Failure", error: new EventIdConflict({ streamId, eventId: row[3] as EventId, reason: kind }) }
    default:
      return undefined
  }
}

// Built only when needed: a schema-checked error with a stack trace costs ~70 µs, a third of an append.
export const unexpectedResult = Effect.failSync(() =>
  new EventLogError({ method: "append", reason: "storage", message: "the append statement returned an unexpected result" })
)
