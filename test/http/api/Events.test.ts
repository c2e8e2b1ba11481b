import { assert, describe, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Runtime } from "effect"
import { ApiKeyId, SessionId, StreamId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { ApiKeyCreated, FeedbackReceived, UserMessageReceived } from "../../../src/events/TauEvent.ts"
import { apiServer, BaseUrl, client, readSse } from "./support.ts"
import type { SseMessage } from "./support.ts"
import { recordedJsonEncoded } from "../../../src/http/events/Wire.ts"

const sid = SessionId.make("s-events")
const message = (content: string) => new UserMessageReceived({ sessionId: sid, content })
const feedback = () => new FeedbackReceived({ sessionId: sid, rating: 1, source: "http" })

/** Appends `count` events to `<prefix>a` and `<prefix>b` alternately, one call each, with a pause between. */
const appendSlowly = (prefix: string, count: number, pauseMs: number) =>
  Effect.gen(function*() {
    const log = yield* EventLog
    const positions: Array<number> = []
    for (let i = 0; i < count; i++) {
      const result = yield* log.append(StreamId.make(`${prefix}${i % 2 === 0 ? "a" : "b"}`), "any", [message(`m${i}`)])
      positions.push(...result.positions)
      if (pauseMs > 0) yield* Effect.sleep(`${pauseMs} millis`)
    }
    return positions
  })

const positionsOf = (messages: ReadonlyArray<SseMessage>) => messages.map((m) => Number(m.id))

describe("typed API: events", () => {
  layer(apiServer((lb) => lb.config({ TAU_SSE_HEARTBEAT: "100 millis" })), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("pages the log with from/limit/next, filters by stream prefix and type, hides key hashes", () =>
      Effect.gen(function*() {
        const api = yield* client
        const log = yield* EventLog
        const start = (yield* log.head) + 1
        yield* log.append(StreamId.make("page-x"), "any", [message("1"), feedback(), message("2")])
        yield* log.append(StreamId.make("other-y"), "any", [message("3")])
        yield* log.append(StreamId.make("apikey-k1"), "any", [
          new ApiKeyCreated({
            keyId: ApiKeyId.make("k1"),
            name: "ops",
            scope: "read",
            secretHash: { algorithm: "scrypt", salt: "c2FsdA==", hash: "aGFzaA==", N: 16384, r: 8, p: 1 }
          })
        ])

        const first = yield* api.events.page({ urlParams: { from: start, limit: 2 } })
        assert.deepStrictEqual(first.events.map((e) => e.position), [start, start + 1])
        assert.strictEqual(first.next, start + 2)
        assert.strictEqual(first.head, start + 4)
        const e0 = first.events[0]!
        assert.deepStrictEqual([e0.streamId, e0.streamVersion, e0.type, e0.schemaVersion], ["page-x", 1, "UserMessageReceived", 1])
        assert.deepStrictEqual(first.events[0]!.data, { sessionId: "s-events", content: "1" })
        assert.instanceOf(first.events[0]!.recordedAt, Date)

        const rest = yield* api.events.page({ urlParams: { from: first.next!, limit: 100 } })
        assert.deepStrictEqual(rest.events.map((e) => e.position), [start + 2, start + 3, start + 4])
        assert.isNull(rest.next)

        const byStream = yield* api.events.page({ urlParams: { from: start, stream: "page-" } })
        assert.deepStrictEqual(byStream.events.map((e) => e.streamVersion), [1, 2, 3])
        const byType = yield* api.events.page({ urlParams: { from: start, type: ["FeedbackReceived,ApiKeyCreated"] } })
        assert.deepStrictEqual(byType.events.map((e) => e.type), ["FeedbackReceived", "ApiKeyCreated"])
        const repeated = yield* api.events.page({ urlParams: { from: start, type: ["FeedbackReceived", "ApiKeyCreated"] } })
        assert.deepStrictEqual(repeated.events.map((e) => e.position), byType.events.map((e) => e.position))

        const key = byType.events[1]!.data as Record<string, unknown>
        assert.deepStrictEqual(key, { keyId: "k1", name: "ops", scope: "read" })
      }))

    it.effect("the SSE tail sends catch-up then live events with id = position, filtered, with heartbeats", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const log = yield* EventLog
        const runtime = yield* Effect.runtime<EventLog>()
        const start = (yield* log.head) + 1
        yield* log.append(StreamId.make("live-a"), "any", [message("old"), feedback()])
        const res = yield* Effect.promise(() =>
          fetch(`${base}/api/events/stream?from=${start}&stream=live-&type=UserMessageReceived`)
        )
        assert.strictEqual(res.status, 200)
        assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/)
        assert.strictEqual(res.headers.get("x-accel-buffering"), "no")
        const live = Runtime.runPromise(runtime)(
          Effect.zipRight(Effect.sleep("50 millis"), appendSlowly("live-", 4, 5))
        )
        const received = yield* Effect.promise(() => readSse(res, (got) => got.length >= 5))
        const appended = yield* Effect.promise(() => live)
        assert.deepStrictEqual(positionsOf(received), [start, ...appended])
        const data = JSON.parse(received[1]!.data) as { type: string; data: { content: string } }
        assert.deepStrictEqual([data.type, data.data.content], ["UserMessageReceived", "m0"])
        // The SSE text is exactly the schema's encoding (the tail writes it without the encoder).
        const stored = yield* log.readAllRaw(start, 6)
        assert.deepStrictEqual(received.map((m) => JSON.parse(m.data)), [stored[0]!, ...stored.slice(2)].map(recordedJsonEncoded))

        // Idle: heartbeat comments keep coming (every 100 ms in this test's configuration).
        const idle = yield* Effect.promise(async () => {
          const r = await fetch(`${base}/api/events/stream?stream=nothing-here-`)
          const reader = r.body!.getReader()
          let text = ""
          while (!text.includes(": heartbeat")) {
            const chunk = await reader.read()
            if (chunk.done) break
            text += new TextDecoder().decode(chunk.value)
          }
          await reader.cancel()
          return text
        })
        assert.include(idle, ": heartbeat\n\n")
      }))

    it.effect("a client that disconnects and resumes with Last-Event-ID sees every event once, in order (property)", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        const runtime = yield* Effect.runtime<EventLog>()
        const run = Runtime.runPromise(runtime)
        const total = 12
        let round = 0
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.uniqueArray(fc.integer({ min: 1, max: total - 1 }), { minLength: 1, maxLength: 3 }),
              fc.integer({ min: 0, max: 4 }),
              async (cuts, pauseMs) => {
                const prefix = `tail${round++}-`
                const start = (await run(Effect.flatMap(EventLog, (log) => log.head))) + 1
                const appending = run(appendSlowly(prefix, total, pauseMs))
                const seen: Array<SseMessage> = []
                let lastId: string | undefined
                for (const cut of [...cuts.sort((a, b) => a - b), total]) {
                  const controller = new AbortController()
                  const headers: Record<string, string> = lastId === undefined ? {} : { "last-event-id": lastId }
                  const res = await fetch(`${base}/api/events/stream?from=${start}&stream=${prefix}`, {
                    headers,
                    signal: controller.signal
                  })
                  const got = await readSse(res, (r) => seen.length + r.length >= cut)
                  controller.abort()
                  seen.push(...got)
                  lastId = seen.at(-1)?.id ?? lastId
                }
                const appended = await appending
                assert.deepStrictEqual(positionsOf(seen), appended)
              }
            ),
            { numRuns: 6, seed: 7 }
          )
        )
      }))

    it.effect("bad parameters are 400 naming the field", () =>
      Effect.gen(function*() {
        const base = yield* BaseUrl
        for (const [url, field] of [
          [`${base}/api/events?limit=0`, "limit"],
          [`${base}/api/events?from=abc`, "from"],
          [`${base}/api/events/stream?from=-1`, "from"]
        ] as const) {
          const res = yield* Effect.promise(() => fetch(url))
          const body = yield* Effect.promise(() => res.json() as Promise<{ issues: ReadonlyArray<{ path: ReadonlyArray<string> }> }>)
          assert.strictEqual(res.status, 400)
          assert.deepStrictEqual([...new Set(body.issues.map((i) => i.path.join(".")))], [field])
        }
        const badHeader = yield* Effect.promise(() => fetch(`${base}/api/events/stream`, { headers: { "last-event-id": "x" } }))
        assert.strictEqual(badHeader.status, 400)
      }))
  })
})
