import { assert, describe, it } from "@effect/vitest"
import { Chunk, Clock, ConfigProvider, Context, Effect, Fiber, Layer, Schedule, Stream } from "effect"
import { ApiKeyCreated, ApiKeyId, apiKeyStream, EventLog, SessionId, StreamId, TauAgentSqlite } from "../../../src/index.ts"
import type { KeyScope } from "../../../src/events/catalogue/GatewayEvents.ts"
import { ApiKeys } from "../../../src/http/auth/ApiKeys.ts"
import { Gateway } from "../../../src/http/GatewayConfig.ts"
import { GatewayRpcRoutes } from "../../../src/http/rpc/Routes.ts"
import { TauClient } from "../../../src/http/rpc/TauClient.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { loopbackModel, Reply } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

/**
 * The RPC routes as `tau serve` mounts them (GatewayRpcRoutes: keys from ApiKeys, auth from the gateway settings)
 * over TauAgentSqlite on a real port; the loopback model unless `model: false`. One key per scope.
 */
const gateway = (options: { readonly auth?: boolean; readonly model?: boolean } = {}) =>
  Effect.gen(function*() {
    const lb = yield* loopbackModel()
    const filename = yield* tempSqliteFile
    const config = options.model === false ? ConfigProvider.fromMap(new Map()) : lb.configProvider()
    const app = TauAgentSqlite({ filename }).pipe(Layer.provide(Layer.setConfigProvider(config)), Layer.orDie)
    const routes = GatewayRpcRoutes.pipe(Layer.provide(Gateway.make({ auth: options.auth ?? true })))
    const context = yield* Layer.build(serveRoutes(routes).pipe(Layer.provideMerge(ApiKeys.Default.pipe(Layer.provideMerge(app)))))
    const keys = Context.get(context, ApiKeys)
    const token = (scope: KeyScope) => Effect.map(Effect.orDie(keys.create({ name: scope, scope })), (k) => k.token)
    const tokens = { read: yield* token("read"), write: yield* token("write"), admin: yield* token("admin") }
    return { lb, url: yield* Effect.provide(gatewayUrl, context), log: Context.get(context, EventLog), tokens }
  })

type Transport = "http" | "websocket"

const as = (transport: Transport, url: string, apiKey: string | undefined) =>
<A, E>(program: Effect.Effect<A, E, TauClient>): Effect.Effect<A, E> =>
  Effect.provide(program, TauClient[transport]({ url, apiKey }))

describe.each<Transport>(["http", "websocket"])("TauClient over %s", (transport) => {
  it.scopedLive("SendMessage streams text deltas, the session's events and the reply; the events are the log's", () =>
    Effect.gen(function*() {
      const { lb, tokens, url } = yield* gateway()
      // Long enough to pass the stream redactor's hold-back window (64 characters) several times.
      const chunks = [0, 1, 2, 3].map((i) => `Part ${i} of a reply that is written in pieces, ${"word ".repeat(16)}`)
      const content = chunks.join("")
      lb.enqueue(Reply.text(content, { chunks, chunkDelayMs: 150 }))
      const writer = as(transport, url, tokens.write)
      const received = Chunk.toReadonlyArray(
        yield* writer(Effect.flatMap(TauClient, (tau) =>
          Stream.runCollect(tau.SendMessage({ message: "hi", mode: "chat" }).pipe(
            Stream.mapEffect((p) => Effect.map(Clock.currentTimeMillis, (at) => ({ p, at })))
          ))))
      )
      const progress = received.map((r) => r.p)
      // Streamed, not buffered until the end: the deltas arrive as the model writes them (150 ms apart).
      const deltaTimes = received.filter((r) => r.p._tag === "TextDelta").map((r) => r.at)
      assert.isAtLeast(deltaTimes.at(-1)! - deltaTimes[0]!, 200)
      const deltas = progress.flatMap((p) => p._tag === "TextDelta" ? [p.text] : [])
      assert.isAtLeast(deltas.length, 4)
      assert.strictEqual(deltas.join(""), content)
      const last = progress.at(-1)
      assert.strictEqual(last?._tag, "Finished")
      const reply = last?._tag === "Finished" ? last.reply : undefined
      assert.strictEqual(reply?.reply?.content, content)
      const sessionId = reply!.sessionId
      // Deltas arrive while the model writes: before the reply is recorded.
      const replied = progress.findIndex((p) => p._tag === "Event" && p.event._tag === "AssistantReplied")
      assert.isAbove(replied, progress.findIndex((p) => p._tag === "TextDelta"))
      const streamed = progress.flatMap((p) => p._tag === "Event" ? [{ position: p.position, type: p.event._tag }] : [])
      assert.include(streamed.map((e) => e.type), "SessionStarted")

      const reader = as(transport, url, tokens.read)
      const { events, later, listed, summary } = yield* reader(Effect.gen(function*() {
        const tau = yield* TauClient
        return {
          events: yield* tau.SessionEvents({ sessionId }),
          summary: yield* tau.GetSession({ sessionId }),
          listed: yield* tau.ListSessions({ limit: 10, source: "rpc", since: new Date(Date.now() - 60_000) }),
          later: yield* tau.ListSessions({ since: new Date(Date.now() + 60_000) })
        }
      }))
      assert.deepStrictEqual(events.map((e) => ({ position: e.position, type: e.type })), streamed)
      assert.strictEqual(summary.sessionId, sessionId)
      assert.strictEqual(summary.source, "rpc")
      assert.deepStrictEqual(listed.map((s) => s.sessionId), [sessionId])
      assert.deepStrictEqual(later, [])

      const missing = yield* reader(Effect.flip(Effect.flatMap(TauClient, (tau) =>
        tau.GetSession({ sessionId: SessionId.make("no-such-session") }))))
      assert.strictEqual(missing._tag, "SessionNotFound")
    }))

  it.scopedLive("TailEvents follows appends live, filtered by stream prefix and type, without key hashes", () =>
    Effect.gen(function*() {
      const { log, tokens, url } = yield* gateway()
      const reader = as(transport, url, tokens.read)
      const keyId = ApiKeyId.make("tailkey1")
      const created = new ApiKeyCreated({
        keyId,
        name: "tailed",
        scope: "read",
        secretHash: { algorithm: "scrypt", salt: "c2FsdA==", hash: "aGFzaA==", N: 16384, r: 8, p: 1 }
      })
      yield* reader(Effect.gen(function*() {
        const tau = yield* TauClient
        // A first call opens the connection (a websocket that is still opening while this process appends in a
        // tight loop was seen to miss its 10 s open timeout).
        assert.isAbove((yield* tau.ProjectionsStatus()).length, 0)
        // No fromPosition: only events appended after the tail started. Append until one arrives, so what the tail
        // sees can only have come live.
        const tail = yield* tau.TailEvents({ streamPrefix: "apikey-", types: ["ApiKeyCreated"] }).pipe(
          Stream.take(1),
          Stream.runCollect,
          Effect.fork
        )
        const appender = yield* log.append(apiKeyStream(keyId), "any", [created]).pipe(
          Effect.zipRight(log.append(StreamId.make("other-stream"), "any", [created])),
          Effect.repeat(Schedule.spaced("200 millis")),
          Effect.fork
        )
        const [seen] = Chunk.toReadonlyArray(yield* Fiber.join(tail))
        yield* Fiber.interrupt(appender)
        assert.strictEqual(seen?.streamId, `apikey-${keyId}`)
        assert.strictEqual(seen?.type, "ApiKeyCreated")
        assert.deepInclude(seen?.data as object, { keyId, name: "tailed", scope: "read" })
        assert.notProperty(seen?.data as object, "secretHash")

        // From a position: catch-up first, then live; the same filter on a page read gives the same events.
        const page = yield* tau.ReadEvents({ fromPosition: seen!.position, streamPrefix: "apikey-", limit: 50 })
        assert.isAbove(page.events.length, 0)
        assert.strictEqual(page.events[0]?.position, seen!.position)
        assert.isTrue(page.events.every((e) => e.streamId === seen!.streamId))
        assert.isAbove(page.nextPosition, page.head)
        const resumed = yield* tau.TailEvents({ fromPosition: seen!.position, streamPrefix: "apikey-" }).pipe(
          Stream.take(page.events.length + 1),
          Stream.runCollect,
          Effect.fork
        )
        const next = yield* log.append(apiKeyStream(keyId), "any", [created])
        assert.deepStrictEqual(
          Chunk.toReadonlyArray(yield* Fiber.join(resumed)).map((e) => e.position),
          [...page.events.map((e) => e.position), ...next.positions]
        )
      }))
    }))

  it.scopedLive("scopes: a read key may query but not send (Forbidden), rebuild needs admin, no key is Unauthorized", () =>
    Effect.gen(function*() {
      const { tokens, url } = yield* gateway()
      const status = (key: string | undefined) =>
        as(transport, url, key)(Effect.flatMap(TauClient, (tau) => tau.ProjectionsStatus()))
      const send = (key: string | undefined) =>
        as(transport, url, key)(Effect.flatMap(TauClient, (tau) => Stream.runDrain(tau.SendMessage({ message: "hi" }))))
      const rebuild = (key: string, name?: string) =>
        as(transport, url, key)(Effect.flatMap(TauClient, (tau) => tau.RebuildProjection(name === undefined ? {} : { name })))

      assert.isAbove((yield* status(tokens.read)).length, 0)
      const readSend = yield* Effect.flip(send(tokens.read))
      assert.deepInclude(readSend, { _tag: "Forbidden", operation: "SendMessage", required: "write", scope: "read" })
      assert.match(readSend.message, /scope "read"; SendMessage needs "write"/)

      const writeRebuild = yield* Effect.flip(rebuild(tokens.write, "sessions"))
      assert.deepInclude(writeRebuild, { _tag: "Forbidden", required: "admin", scope: "write" })
      const rebuilt = yield* rebuild(tokens.admin, "sessions")
      assert.deepStrictEqual(rebuilt.map((s) => s.name), ["sessions"])
      assert.strictEqual(rebuilt[0]?.lag, 0)
      const unknown = yield* Effect.flip(rebuild(tokens.admin, "nope"))
      assert.deepInclude(unknown, { _tag: "ProjectionNotFound", name: "nope" })

      const anonymous = yield* Effect.flip(status(undefined))
      assert.deepInclude(anonymous, { _tag: "Unauthorized", reason: "missing_key" })
      assert.deepInclude(yield* Effect.flip(send(`${tokens.read}x`)), { _tag: "Unauthorized", reason: "invalid_key" })
    }))

  it.scopedLive("the memory operations are served on the same connection: a read key may search, not write", () =>
    Effect.gen(function*() {
      const { tokens, url } = yield* gateway()
      const created = yield* as(transport, url, tokens.write)(Effect.flatMap(TauClient, (tau) =>
        tau.CreateMemory({ scope: "global", kind: "fact", content: "The staging database lives on port 6543" })))
      const found = yield* as(transport, url, tokens.read)(Effect.flatMap(TauClient, (tau) =>
        tau.GetMemory({ memoryId: created.memory.id })))
      assert.strictEqual(found.content, "The staging database lives on port 6543")
      const refused = yield* Effect.flip(as(transport, url, tokens.read)(Effect.flatMap(TauClient, (tau) =>
        tau.CreateMemory({ scope: "global", kind: "fact", content: "nope" }))))
      assert.deepInclude(refused, { _tag: "Forbidden", required: "write", scope: "read" })
    }))

  it.scopedLive("without a model SendMessage fails with ModelNotConfigured saying how to configure one", () =>
    Effect.gen(function*() {
      const { tokens, url } = yield* gateway({ model: false })
      const failure = yield* as(transport, url, tokens.write)(
        Effect.flip(Effect.flatMap(TauClient, (tau) => Stream.runDrain(tau.SendMessage({ message: "hi" }))))
      )
      assert.strictEqual(failure._tag, "ModelNotConfigured")
      assert.match(failure.message, /OPENAI_BASE_URL/)
    }))
})

describe("RpcAuthOff (--no-auth)", () => {
  it.scopedLive("every call runs as the local operator: admin operations need no key", () =>
    Effect.gen(function*() {
      const { url } = yield* gateway({ auth: false })
      const rebuilt = yield* as("http", url, undefined)(Effect.flatMap(TauClient, (tau) => tau.RebuildProjection({})))
      assert.isAbove(rebuilt.length, 1)
      const sessions = yield* as("websocket", url, undefined)(Effect.flatMap(TauClient, (tau) => tau.ListSessions({})))
      assert.deepStrictEqual(sessions, [])
    }))
})
