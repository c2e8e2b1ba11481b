/**
 * Graceful shutdown of a real `tau serve` process under load: SIGTERM while 16 clients keep sending chat
 * completions to a slow model. The process exits 0, every request it acknowledged (200 with a session id) has
 * its whole turn in the log, and every acknowledged request has its audit entry.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import type { SessionId } from "../../src/domain/Ids.ts"
import { AuditQuery } from "../../src/projections/AuditQuery.ts"
import { ProjectionRunner } from "../../src/projections/ProjectionRunner.ts"
import { TauOneShot } from "../../src/layers/Tau.ts"
import { loopbackModel, Reply } from "../support/LoopbackModel.ts"
import { cleanEnv, repoRoot, tauBin } from "../support/Spawn.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"
import { ConfigProvider } from "effect"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("tau serve shutdown", () => {
  it.scopedLive("SIGTERM under load: exit 0, every acknowledged request's events and audit entry are stored", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel({ models: ["slow-model"] })
      lb.enqueue(...Array.from({ length: 2000 }, (_, i) => Reply.text(`answer ${i}`, { delayMs: 120 })))
      const filename = yield* tempSqliteFile
      const port = 30000 + Math.floor(Math.random() * 20000)
      const url = `http://127.0.0.1:${port}`
      const result = yield* Effect.promise(async () => {
        const child = spawn(process.execPath, [tauBin, "serve", "--no-auth", "--port", String(port)], {
          cwd: repoRoot,
          env: {
            ...cleanEnv(),
            TAU_DATABASE_URL: filename,
            OPENAI_BASE_URL: lb.url,
            OPENAI_API_KEY: "test",
            TAU_MODEL: "slow-model",
            TAU_SHUTDOWN_GRACE: "10 seconds"
          },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stderr = ""
        child.stderr.on("data", (c) => (stderr += String(c)))
        const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
        for (let i = 0; i < 600; i++) {
          const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false)
          if (up) break
          await sleep(100)
        }
        const acknowledged: Array<{ sessionId: string; requestId: string }> = []
        const other: Array<string> = []
        let stop = false
        let signalled = false
        const client = async () => {
          while (!stop) {
            try {
              const response = await fetch(`${url}/v1/chat/completions`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ model: "slow-model", messages: [{ role: "user", content: "hello" }] })
              })
              const body = await response.json() as { choices?: ReadonlyArray<{ message: { content: string } }> }
              if (response.status !== 200 || !/^answer \d+$/.test(body.choices?.[0]?.message.content ?? "")) {
                other.push(`${response.status} ${JSON.stringify(body).slice(0, 200)}`)
              } else {
                acknowledged.push({
                  sessionId: response.headers.get("x-tau-session") ?? "",
                  requestId: response.headers.get("x-request-id") ?? ""
                })
              }
            } catch {
              if (signalled) stop = true // connection refused or cut: the server is going away
              else await sleep(50)
            }
          }
        }
        const clients = Array.from({ length: 16 }, client)
        // Signal once the load is flowing (this machine may be slow to warm up), with requests in flight.
        for (let i = 0; i < 600 && acknowledged.length < 16; i++) await sleep(100)
        await sleep(300)
        const beforeSignal = acknowledged.length
        signalled = true
        child.kill("SIGTERM")
        const code = await exited
        stop = true
        await Promise.all(clients)
        return { code, stderr, acknowledged, beforeSignal, other }
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.isAbove(result.beforeSignal, 5, `the load ran before the signal; other answers: ${result.other.slice(0, 3).join(" | ")}; stderr: ${result.stderr.slice(0, 2000)}`)
      assert.isAbove(result.acknowledged.length, result.beforeSignal, "requests in flight at the signal were answered")
      // Refused during the drain is allowed (503/connection closed); a wrong answer is not.
      assert.deepStrictEqual(result.other.filter((o) => o.startsWith("200")), [])

      yield* Effect.gen(function*() {
        const log = yield* EventLog
        const runner = yield* ProjectionRunner
        yield* runner.catchUp()
        for (const { sessionId } of result.acknowledged) {
          const tags = (yield* log.readStream(sessionStream(sessionId as SessionId))).map((e) => e.event._tag)
          assert.includeMembers(tags, ["SessionStarted", "UserMessageReceived", "ModelResponded", "AssistantReplied", "TurnCompleted"])
        }
        const audit = yield* AuditQuery
        const page = yield* audit.list({ limit: 1000 })
        const audited = new Set(page.entries.map((e) => e.requestId))
        for (const { requestId } of result.acknowledged) assert.isTrue(audited.has(requestId), `audit entry of ${requestId}`)
      }).pipe(
        Effect.provide(AuditQuery.Default.pipe(Layer.provideMerge(TauOneShot))),
        Effect.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["TAU_DATABASE_URL", filename]]))))
      )
    }), { timeout: 120_000 })
})
