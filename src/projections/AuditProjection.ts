/**
 * The `audit` read model: table `tau_audit`, one row per audited request (`RequestAudited` on the daily
 * `audit-<yyyy-mm-dd>` streams). The first event of a request id wins, so a rebuild gives the same rows.
 *
 * Every index ends in (started_at, request_id), the newest-first paging order of AuditQuery.
 */
import { Effect } from "effect"
import { SqlClient } from "@effect/sql"
import type { Envelope } from "../events/Envelope.ts"
import type { TauEvent } from "../events/TauEvent.ts"
import type { Projection } from "./Projection.ts"
import { forEachBatch } from "./SqlBatches.ts"

const setup = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.onDialectOrElse({
    // COLLATE "C": request ids order bytewise on both backends (and cursor comparisons agree with the order).
    pg: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_audit (
        request_id TEXT COLLATE "C" PRIMARY KEY,
        key_id TEXT,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        session_id TEXT,
        status INTEGER NOT NULL,
        latency_ms BIGINT NOT NULL,
        started_at BIGINT NOT NULL
      )`,
    orElse: () =>
      sql`CREATE TABLE IF NOT EXISTS tau_audit (
        request_id TEXT PRIMARY KEY,
        key_id TEXT,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        session_id TEXT,
        status INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        started_at INTEGER NOT NULL
      ) WITHOUT ROWID`
  })
  yield* sql`CREATE INDEX IF NOT EXISTS tau_audit_started ON tau_audit (started_at, request_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS tau_audit_key ON tau_audit (key_id, started_at, request_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS tau_audit_session ON tau_audit (session_id, started_at, request_id)`
  yield* sql`CREATE INDEX IF NOT EXISTS tau_audit_status ON tau_audit (status, started_at, request_id)`
})

export const AuditProjection: Projection = {
  name: "audit",
  version: 1,
  tables: ["tau_audit"],
  handles: ["RequestAudited"],
  setup,
  teardown: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP TABLE IF EXISTS tau_audit`),
  apply: (envelope) => insert([envelope]),
  applyAll: (envelopes) => insert(envelopes)
}

/** The audit rows of `envelopes`, a batch per statement; a request id already there keeps its row (the first wins). */
const insert = (envelopes: ReadonlyArray<Envelope<TauEvent>>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = []
    for (const { event } of envelopes) {
      if (event._tag !== "RequestAudited") continue
      rows.push({
        request_id: event.requestId,
        key_id: event.keyId ?? null,
        method: event.method,
        route: event.route,
        session_id: event.sessionId ?? null,
        status: event.status,
        latency_ms: event.latencyMs,
        started_at: event.startedAt
      })
    }
    yield* forEachBatch(rows, (batch) => sql`INSERT INTO tau_audit ${sql.insert(batch)} ON CONFLICT (request_id) DO NOTHING`)
  })
