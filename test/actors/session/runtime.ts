/**
 * Runtime test support: the Sessions service on a real SQLite event log, talking to the loopback model
 * through the real LanguageModel (openai SDK), with the real tool registry and Safety service.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import { Sessions } from "../../../src/actors/session/Sessions.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { sessionStream } from "../../../src/events/Streams.ts"
import type { SessionId } from "../../../src/domain/Ids.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"
import { sqliteEventLogLayer } from "../../support/Sqlite.ts"

export const fastModel = { TAU_LLM_RETRY_BASE_MS: "5", TAU_LLM_RETRY_MAX_DELAY_MS: "20" } as const

/** Sessions + EventLog on `file`; each build is a fresh "process" over the same database. */
export const sessionsLayer = (file: string, lb: LoopbackModel, overrides: Record<string, string> = {}) =>
  Sessions.Default.pipe(
    Layer.provideMerge(sqliteEventLogLayer(file)),
    Layer.provide(Layer.setConfigProvider(lb.configProvider({ ...fastModel, TAU_SESSION_STREAM: "false", ...overrides })))
  )

export const workspace = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "tau-session-ws-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

export const streamOf = (sessionId: SessionId) =>
  Effect.flatMap(EventLog, (log) => log.readStream(sessionStream(sessionId)))

export const rawStreamText = (sessionId: SessionId) =>
  Effect.flatMap(EventLog, (log) => log.readStreamRaw(sessionStream(sessionId))).pipe(
    Effect.map((rows) => rows.map((r) => JSON.stringify(r)).join("\n"))
  )

/** Polls `check` until it holds (or fails after `ms`). */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, ms = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage("condition not reached in time")
      yield* Effect.sleep("10 millis")
    }
  })
