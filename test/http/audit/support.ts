/**
 * Audit trail test support: a temp SQLite database (event log + projection migrations) whose layer can be built
 * again to "reopen the process", the AuditTrail over it with small settings, and entry builders.
 */
import { ConfigProvider, Duration, Effect, Layer, Schedule } from "effect"
import type { Scope } from "effect"
import { ApiKeyId, SessionId } from "../../../src/domain/Ids.ts"
import { defaultEventLogOptions } from "../../../src/events/EventLogOptions.ts"
import * as SqliteDatabase from "../../../src/events/sqlite/SqliteDatabase.ts"
import * as SqliteEventLog from "../../../src/events/sqlite/SqliteEventLog.ts"
import { sqliteEventLogMigrations } from "../../../src/events/sqlite/migrations.ts"
import type { AuditEntry } from "../../../src/http/audit/AuditTrail.ts"
import { AuditTrail } from "../../../src/http/audit/AuditTrail.ts"
import { projectionMigrations } from "../../../src/projections/migrations.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

export interface AuditDatabase {
  readonly filename: string
  /** EventLog + SqlClient; each build opens new connections. */
  readonly layer: () => ReturnType<typeof databaseLayer>
}

const databaseLayer = (filename: string, busyTimeoutMs: number) =>
  SqliteEventLog.layerWith({ ...defaultEventLogOptions, pollInterval: Duration.millis(20) }).pipe(
    Layer.provideMerge(
      SqliteDatabase.layer({
        filename,
        synchronous: "NORMAL",
        busyTimeoutMs,
        migrations: { ...sqliteEventLogMigrations, ...projectionMigrations }
      })
    ),
    Layer.orDie
  )

/** A fresh database file for the current scope. A short busy timeout lets a test stall it with a lock. */
export const freshDatabase = (busyTimeoutMs = 5000): Effect.Effect<AuditDatabase, never, Scope.Scope> =>
  Effect.map(tempSqliteFile, (filename) => ({ filename, layer: () => databaseLayer(filename, busyTimeoutMs) }))

export interface TrailSettings {
  readonly capacity?: number
  readonly maxBatch?: number
  readonly flushMs?: number
}

/** The AuditTrail with `settings` (else the defaults), needing EventLog. */
export const trailLayer = (settings: TrailSettings = {}) =>
  AuditTrail.Default.pipe(
    Layer.provide(
      Layer.setConfigProvider(
        ConfigProvider.fromMap(
          new Map([
            ...(settings.capacity === undefined ? [] : [["TAU_AUDIT_BUFFER", String(settings.capacity)] as const]),
            ...(settings.maxBatch === undefined ? [] : [["TAU_AUDIT_BATCH", String(settings.maxBatch)] as const]),
            ...(settings.flushMs === undefined ? [] : [["TAU_AUDIT_FLUSH_MS", String(settings.flushMs)] as const])
          ])
        )
      )
    ),
    Layer.orDie
  )

export const day = Date.UTC(2026, 10, 25)

export const entry = (n: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  requestId: `req_${String(n).padStart(6, "0")}`,
  keyId: n % 3 === 0 ? undefined : ApiKeyId.make(`key${n % 3}`),
  method: n % 2 === 0 ? "GET" : "POST",
  route: `/api/sessions/${n % 5}`,
  sessionId: n % 4 === 0 ? SessionId.make(`s${n % 8}`) : undefined,
  status: [200, 201, 404, 500][n % 4]!,
  latencyMs: n % 50,
  startedAt: day + 3_600_000 + n,
  ...overrides
})

/** Polls `check` every 10 ms until it holds (or fails the test after `within`). */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, within: Duration.DurationInput = "10 seconds") =>
  check.pipe(
    Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail("not yet" as const))),
    Effect.retry(Schedule.spaced("10 millis")),
    Effect.timeout(within),
    Effect.orDie
  )
