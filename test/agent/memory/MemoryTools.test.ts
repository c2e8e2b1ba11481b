import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Memory } from "../../../src/agent/memory/Memory.ts"
import { MemoryToolsLive } from "../../../src/agent/memory/MemoryTools.ts"
import { ToolRegistry } from "../../../src/agent/tools/ToolRegistry.ts"
import { EventId, MemoryId, SessionId } from "../../../src/domain/Ids.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { sqliteBackend } from "../../projections/support.ts"
import { registryLayer, tempDir } from "../tools/Harness.ts"
import { memoryWorld } from "./support.ts"

describe("memory tools", () => {
  it.scopedLive("write, search, link, delete within the session's view, citing the causing event", () =>
    Effect.gen(function*() {
      const database = yield* sqliteBackend.fresh
      const workspace = yield* tempDir
      const other = yield* tempDir
      const layer = MemoryToolsLive.pipe(Layer.provideMerge(registryLayer()), Layer.provideMerge(memoryWorld(database())))
      yield* Effect.gen(function*() {
        const registry = yield* ToolRegistry
        const sessionId = SessionId.make("s1")
        const cause = EventId.make("tool-call-requested-1")
        const call = (name: string, args: unknown, ws = workspace) =>
          Effect.map(registry.run(name, JSON.stringify(args), { workspace: ws, sessionId, causationId: cause }), (r) => r.output)

        const written = yield* call("memory_write", { content: "The api uses Fastify with pino logging", kind: "fact" })
        const id = written.replace("remembered as ", "")
        const second = yield* call("memory_write", { content: "Deploys go through ArgoCD", kind: "fact", tags: ["deploy"] })
        const id2 = second.replace("remembered as ", "")
        yield* call("memory_write", { content: "Fastify plugins are registered in app.ts", kind: "fact" }, other)

        const found = yield* call("memory_search", { query: "fastify logging" })
        assert.include(found, id)
        assert.notInclude(found, "app.ts", "another workspace's memory is not visible")

        const merged = yield* call("memory_write", { content: "The api uses Fastify with pino logging.", kind: "fact" })
        assert.include(merged, `merged into existing memory ${id}`)

        assert.include(yield* call("memory_link", { from: id, to: id2, relation: "relates_to" }), "linked")
        assert.include(yield* call("memory_delete", { id, reason: "stale" }), "forgot")
        assert.notInclude(yield* call("memory_search", { query: "fastify logging" }), id)

        const missing = yield* Effect.flip(registry.run("memory_delete", JSON.stringify({ id: "nope" }), { workspace, sessionId }))
        assert.strictEqual(missing.reason, "not_found")

        const events = yield* (yield* EventLog).readAll(1, 1000)
        const recorded = events.find((e) => e.event._tag === "MemoryRecorded")!
        assert.strictEqual(recorded.metadata.causationId, cause)
        assert.strictEqual(recorded.metadata.correlationId, sessionId)
        assert.deepStrictEqual(recorded.event._tag === "MemoryRecorded" && recorded.event.sourceEventIds, [cause])
        const record = yield* (yield* Memory).get(MemoryId.make(id))
        assert.strictEqual(record.workspace, workspace)
      }).pipe(Effect.provide(layer))
    }), 60_000)
})
