/**
 * The whole gateway (GatewayLive: every route behind the global middleware, real keys, real audit trail) on a
 * real port over SQLite, probed with raw HTTP: auth, scopes, rate limits, body limits, malformed input and
 * unknown routes are each answered with a typed 4xx in OpenAI's error shape, and none of them writes anything
 * to the log but its audit entry.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { request as httpRequest } from "node:http"
import { ApiKeys } from "../../src/http/auth/ApiKeys.ts"
import { SessionId } from "../../src/domain/Ids.ts"
import { Sessions } from "../../src/actors/session/Sessions.ts"
import { EventLog } from "../../src/events/EventLog.ts"
import { sessionStream } from "../../src/events/Streams.ts"
import { GatewayLive } from "../../src/layers/Server.ts"
import { gatewayUrl } from "../support/Gateway.ts"
import { loopbackModel } from "../support/LoopbackModel.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: { readonly error?: { readonly type: string; readonly code: string | null; readonly message: string } }
}

const call = (url: string, init: RequestInit = {}): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) }
  })

/** A chunked upload (no content-length): `body`, or that many bytes of spaces; the status and body answered. */
const chunkedPost = (url: string, token: string, body: string | number): Effect.Effect<{ status: number; text: string }> =>
  Effect.async<{ status: number; text: string }>((resume) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "transfer-encoding": "chunked" }
    }, (res) => {
      let text = ""
      res.on("data", (chunk) => (text += String(chunk)))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, text })))
    })
    req.on("error", () => resume(Effect.succeed({ status: -1, text: "" })))
    if (typeof body === "string") {
      for (let i = 0; i < body.length; i += 7) req.write(body.slice(i, i + 7))
      return void req.end()
    }
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      while (sent < body) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once("drain", pump)
      }
      req.end()
    }
    pump()
  })

/** Events outside the audit streams: what a refused request must never add. */
const nonAuditEvents = Effect.gen(function*() {
  const log = yield* EventLog
  const all = yield* log.readAll(0, 100_000)
  return all.filter((e) => !e.streamId.startsWith("audit-") && !e.streamId.startsWith("apikey-")).length
})

const gateway = (settings: Record<string, string>) =>
  Effect.gen(function*() {
    const lb = yield* loopbackModel()
    const filename = yield* tempSqliteFile
    return GatewayLive({ port: 0, maxBodyBytes: 64 * 1024 }).pipe(
      Layer.provide(Layer.setConfigProvider(lb.configProvider({ TAU_DATABASE_URL: filename, ...settings })))
    )
  })

describe("gateway", () => {
  it.scopedLive("refuses without a key, with a bad key, with too little scope, and over the rate limit", () =>
    Effect.gen(function*() {
      const layer = yield* gateway({ TAU_RATE_LIMIT_RPS: "1", TAU_RATE_LIMIT_BURST: "3" })
      yield* Effect.gen(function*() {
        const url = yield* gatewayUrl
        const keys = yield* ApiKeys
        const reader = yield* keys.create({ name: "reader", scope: "read" })
        const writer = yield* keys.create({ name: "writer", scope: "write" })
        const before = yield* nonAuditEvents

        const health = yield* call(`${url}/healthz`)
        assert.strictEqual(health.status, 200)

        const missing = yield* call(`${url}/v1/models`)
        assert.strictEqual(missing.status, 401)
        assert.strictEqual(missing.body.error?.code, "missing_api_key")
        assert.strictEqual(missing.headers.get("www-authenticate"), "Bearer")

        const wrong = yield* call(`${url}/v1/models`, { headers: { authorization: `Bearer ${reader.token}x` } })
        assert.strictEqual(wrong.status, 401)
        assert.strictEqual(wrong.body.error?.code, "invalid_api_key")

        const ok = yield* call(`${url}/v1/models`, { headers: { authorization: `Bearer ${reader.token}` } })
        assert.strictEqual(ok.status, 200)
        assert.match(ok.headers.get("x-request-id") ?? "", /^req_/)

        const forbidden = yield* call(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${reader.token}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] })
        })
        assert.strictEqual(forbidden.status, 403)
        assert.strictEqual(forbidden.body.error?.type, "permission_error")

        const rebuild = yield* call(`${url}/api/projections/sessions/rebuild`, {
          method: "POST",
          headers: { authorization: `Bearer ${writer.token}` }
        })
        assert.strictEqual(rebuild.status, 403)

        // burst 3: the writer's fourth request inside a second is limited, with a Retry-After
        const statuses: Array<number> = []
        let retryAfter: string | null = null
        for (let i = 0; i < 5; i++) {
          const answer = yield* call(`${url}/v1/models`, { headers: { authorization: `Bearer ${writer.token}` } })
          statuses.push(answer.status)
          if (answer.status === 429) retryAfter = answer.headers.get("retry-after")
        }
        assert.include(statuses, 429)
        assert.isTrue(statuses.indexOf(429) >= 2, `limited too early: ${statuses.join(",")}`)
        assert.isAtLeast(Number(retryAfter), 1)

        const revoked = yield* keys.revoke(reader.keyId)
        assert.strictEqual(revoked.keyId, reader.keyId)
        const afterRevoke = yield* call(`${url}/v1/models`, { headers: { authorization: `Bearer ${reader.token}` } })
        assert.strictEqual(afterRevoke.status, 401)

        assert.strictEqual(yield* nonAuditEvents, before)
      }).pipe(Effect.provide(layer))
    }), { timeout: 60_000 })

  it.scopedLive("answers malformed JSON, wrong types, huge bodies and unknown routes with typed 4xx and writes nothing", () =>
    Effect.gen(function*() {
      const layer = yield* gateway({ TAU_RATE_LIMIT_RPS: "0" })
      yield* Effect.gen(function*() {
        const url = yield* gatewayUrl
        const keys = yield* ApiKeys
        const admin = yield* keys.create({ name: "admin", scope: "admin" })
        const auth = { authorization: `Bearer ${admin.token}`, "content-type": "application/json" }
        const before = yield* nonAuditEvents

        const malformed = yield* call(`${url}/v1/chat/completions`, { method: "POST", headers: auth, body: "{\"model\":" })
        assert.strictEqual(malformed.status, 400)
        assert.strictEqual(malformed.body.error?.type, "invalid_request_error")

        const wrongType = yield* call(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: "hello" })
        })
        assert.strictEqual(wrongType.status, 400)
        assert.match(JSON.stringify(wrongType.body), /messages/)

        const apiWrongType = yield* call(`${url}/api/sessions`, { method: "POST", headers: auth, body: JSON.stringify({ message: 42 }) })
        assert.strictEqual(apiWrongType.status, 400)

        const huge = yield* call(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(200 * 1024) }] })
        })
        assert.strictEqual(huge.status, 413)
        assert.strictEqual(huge.body.error?.code, "request_too_large")

        // Without Content-Length the gateway reads the body itself: over the limit it is a clean 413, within it the
        // route reads the body as usual.
        const chunked = yield* chunkedPost(`${url}/v1/chat/completions`, admin.token, 512 * 1024)
        assert.strictEqual(chunked.status, 413)
        assert.strictEqual(JSON.parse(chunked.text).error?.code, "request_too_large")
        const chunkedSmall = yield* chunkedPost(
          `${url}/v1/chat/completions`,
          admin.token,
          JSON.stringify({ model: "m", messages: "hello" })
        )
        assert.strictEqual(chunkedSmall.status, 400)
        assert.match(chunkedSmall.text, /messages/)

        const unknown = yield* call(`${url}/v1/nothing-here`, { headers: auth })
        assert.strictEqual(unknown.status, 404)
        assert.strictEqual(unknown.body.error?.type, "not_found_error")

        const unknownSession = yield* call(`${url}/api/sessions/no-such-session`, { headers: auth })
        assert.strictEqual(unknownSession.status, 404)

        assert.strictEqual(yield* nonAuditEvents, before)

        // Every refused request above is in the audit trail, with its status and the key that made it.
        const audited = yield* Effect.promise(async () => {
          for (let i = 0; i < 100; i++) {
            const response = await fetch(`${url}/api/audit?statusClass=4xx&limit=100`, { headers: auth })
            const page = await response.json() as { entries: ReadonlyArray<{ status: number; keyId?: string; route: string }> }
            if (page.entries.length >= 6) return page.entries
            await new Promise((r) => setTimeout(r, 100))
          }
          return []
        })
        assert.includeMembers(audited.map((e) => e.status), [400, 413, 404])
        assert.isTrue(audited.every((e) => e.keyId === admin.keyId))
        assert.isTrue(audited.some((e) => e.route === "/v1/nothing-here"))
      }).pipe(Effect.provide(layer))
    }), { timeout: 60_000 })

  it.scopedLive("a session belongs to the key that started it: other write keys get 403, the owner and admin keys may continue; a session with no owner key takes admin keys only", () =>
    Effect.gen(function*() {
      const layer = yield* gateway({ TAU_RATE_LIMIT_RPS: "0" })
      yield* Effect.gen(function*() {
        const url = yield* gatewayUrl
        const keys = yield* ApiKeys
        const [owner, other, admin] = yield* Effect.all([
          keys.create({ name: "owner", scope: "write" }),
          keys.create({ name: "other", scope: "write" }),
          keys.create({ name: "admin", scope: "admin" })
        ])
        const chat = (token: string, session?: string) =>
          call(`${url}/v1/chat/completions`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              ...(session === undefined ? {} : { "x-tau-session": session })
            },
            body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hello" }] })
          })
        const started = yield* chat(owner.token)
        assert.strictEqual(started.status, 200)
        const sessionId = started.headers.get("x-tau-session") ?? ""
        const log = yield* EventLog
        const version = yield* log.streamVersion(sessionStream(SessionId.make(sessionId)))

        const hijack = yield* chat(other.token, sessionId)
        assert.strictEqual(hijack.status, 403)
        assert.strictEqual(hijack.body.error?.code, "session_forbidden")
        const viaApi = yield* call(`${url}/api/sessions/${sessionId}/messages`, {
          method: "POST",
          headers: { authorization: `Bearer ${other.token}`, "content-type": "application/json" },
          body: JSON.stringify({ message: "let me in" })
        })
        assert.strictEqual(viaApi.status, 403)
        const cancel = yield* call(`${url}/api/sessions/${sessionId}/cancel`, {
          method: "POST",
          headers: { authorization: `Bearer ${other.token}` }
        })
        assert.strictEqual(cancel.status, 403)
        assert.strictEqual(yield* log.streamVersion(sessionStream(SessionId.make(sessionId))), version)

        assert.strictEqual((yield* chat(owner.token, sessionId)).status, 200)
        assert.strictEqual((yield* chat(admin.token, sessionId)).status, 200)

        // A session with no owner key (as `tau run` starts them): admin keys only.
        const sessions = yield* Sessions
        const local = SessionId.make("started-on-the-machine")
        yield* sessions.ask("hello from the CLI", { sessionId: local })
        const localVersion = yield* log.streamVersion(sessionStream(local))
        const intruder = yield* chat(owner.token, local)
        assert.strictEqual(intruder.status, 403)
        assert.strictEqual(intruder.body.error?.code, "session_forbidden")
        assert.strictEqual(yield* log.streamVersion(sessionStream(local)), localVersion)
        assert.strictEqual((yield* chat(admin.token, local)).status, 200)
      }).pipe(Effect.provide(layer))
    }), { timeout: 60_000 })
})
