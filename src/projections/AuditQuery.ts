/**
 * Read side of the `audit` projection: audited requests newest first (by started_at, then request id),
 * filtered by key, session, status or status class, route prefix and time range, paged by cursor or offset.
 */
import { Effect, Schema } from "effect"
import { SqlClient } from "@effect/sql"
import { ApiKeyId, SessionId } from "../domain/Ids.ts"
import { AuditPage, AuditRecord, encodeCursor } from "./AuditRecords.ts"
import type { AuditFilters } from "./AuditRecords.ts"
import { SqlInt } from "./SqlValues.ts"

const Row = Schema.Struct({
  request_id: Schema.String,
  key_id: Schema.NullOr(ApiKeyId),
  method: Schema.String,
  route: Schema.String,
  session_id: Schema.NullOr(SessionId),
  status: SqlInt,
  latency_ms: SqlInt,
  started_at: SqlInt
})
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

const toRecord = (r: typeof Row.Type) =>
  new AuditRecord({
    requestId: r.request_id,
    ...(r.key_id === null ? {} : { keyId: r.key_id }),
    method: r.method,
    route: r.route,
    ...(r.session_id === null ? {} : { sessionId: r.session_id }),
    status: r.status,
    latencyMs: r.latency_ms,
    startedAt: r.started_at
  })

export const defaultAuditLimit = 100

export class AuditQuery extends Effect.Service<AuditQuery>()("tau/projections/AuditQuery", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const where = (filters: AuditFilters) => {
      const conditions = []
      if (filters.keyId !== undefined) conditions.push(sql`key_id = ${filters.keyId}`)
      if (filters.sessionId !== undefined) conditions.push(sql`session_id = ${filters.sessionId}`)
      if (filters.status !== undefined) conditions.push(sql`status = ${filters.status}`)
      if (filters.statusClass !== undefined) {
        const low = Number(filters.statusClass[0]) * 100
        conditions.push(sql`status >= ${low} AND status < ${low + 100}`)
      }
      if (filters.route !== undefined) {
        // substr and a code-point length, not LIKE: SQLite's LIKE ignores ASCII case.
        conditions.push(sql`substr(route, 1, ${[...filters.route].length}) = ${filters.route}`)
      }
      if (filters.since !== undefined) conditions.push(sql`started_at >= ${filters.since}`)
      if (filters.until !== undefined) conditions.push(sql`started_at < ${filters.until}`)
      if (filters.cursor !== undefined) {
        conditions.push(sql`(started_at, request_id) < (${filters.cursor.startedAt}, ${filters.cursor.requestId})`)
      }
      return sql.and(conditions)
    }

    /** One page, newest first; `next` is set when more rows match. */
    const list = Effect.fn("AuditQuery.list")(function*(filters: AuditFilters = {}) {
      const limit = filters.limit ?? defaultAuditLimit
      const rows = yield* decodeRows(
        yield* sql`SELECT request_id, key_id, method, route, session_id, status, latency_ms, started_at
          FROM tau_audit WHERE ${where(filters)}
          ORDER BY started_at DESC, request_id DESC LIMIT ${limit + 1} OFFSET ${filters.offset ?? 0}`
      )
      const entries = rows.slice(0, limit).map(toRecord)
      const last = entries[entries.length - 1]
      return new AuditPage({
        entries,
        ...(rows.length > limit && last !== undefined ? { next: encodeCursor(last) } : {})
      })
    }, Effect.orDie)

    return { list } as const
  })
}) {}
