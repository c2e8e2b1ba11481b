/**
 * `MemoryRpcs` in memory (RpcTest: client and server in one process, no transport) over the Memory service on
 * SQLite, behind RpcAuth with a table of keys: the operations, their typed errors, scopes, and provenance.
 */
import { RpcTest } from "@effect/rpc"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ApiKeyId, EventLog, MemoryId, memoryStream } from "../../../src/index.ts"
import type { Caller } from "../../../src/http/Caller.ts"
import { RpcAuthenticator, RpcAuthLive } from "../../../src/http/rpc/AuthLive.ts"
import { MemoryRpcsLive } from "../../../src/http/rpc/MemoryHandlers.ts"
import { MemoryRpcs } from "../../../src/http/rpc/MemoryRpcs.ts"
import { sqliteMemory } from "../memory/support.ts"

const keys: ReadonlyMap<string, Caller> = new Map([
  ["tok-read", { keyId: ApiKeyId.make("reader01"), name: "reader", scope: "read" }],
  ["tok-write", { keyId: ApiKeyId.make("writer01"), name: "writer", scope: "write" }]
])

const world = Layer.mergeAll(MemoryRpcsLive, RpcAuthLive.pipe(Layer.provide(RpcAuthenticator.fromTable(keys)))).pipe(
  Layer.provideMerge(sqliteMemory)
)

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const writer = as("tok-write")
const reader = as("tok-read")

describe("MemoryRpcs", () => {
  it.scopedLive("create, get, update, link, search, graphs, delete, restore; typed errors; scopes; provenance", () =>
    Effect.gen(function*() {
      const client = yield* RpcTest.makeClient(MemoryRpcs)
      const pg = yield* client.CreateMemory(
        { scope: "global", kind: "decision", content: "We use PostgreSQL 16 with LISTEN/NOTIFY for live events", tags: ["db"] },
        writer
      )
      assert.isNull(pg.mergedFrom)
      const lint = yield* client.CreateMemory({ scope: "global", kind: "fact", content: "ESLint runs with dprint formatting rules" }, writer)
      const id = pg.memory.id

      assert.strictEqual((yield* client.GetMemory({ memoryId: id }, reader)).kind, "decision")
      const updated = yield* client.UpdateMemory({ memoryId: lint.memory.id, importance: 0.3 }, writer)
      assert.strictEqual(updated.importance, 0.3)
      const edge = yield* client.LinkMemories({ from: id, to: lint.memory.id, relation: "supports", weight: 0.7 }, writer)
      assert.deepInclude({ ...edge }, { from: id, to: lint.memory.id, relation: "supports", weight: 0.7 })

      const hits = yield* client.SearchMemory({ query: "which database for live events", limit: 5 }, reader)
      assert.strictEqual(hits[0]?.memory.id, id)
      assert.isNotNull(hits[0]!.components.lexical)
      assert.strictEqual(hits.find((h) => h.memory.id === lint.memory.id)?.components.graphDepth, 1)
      const onlyFacts = yield* client.SearchMemory({ query: "database live events", kinds: ["fact"] }, reader)
      assert.isFalse(onlyFacts.some((h) => h.memory.id === id))

      const around = yield* client.MemoryGraphAround({ memoryId: lint.memory.id, depth: 1 }, reader)
      assert.sameMembers(around.nodes.map((n) => n.id), [id, lint.memory.id])
      const ofQuery = yield* client.MemoryGraphOfQuery({ query: "PostgreSQL", filters: { scope: "global" }, maxNodes: 10 }, reader)
      assert.isTrue(ofQuery.nodes.some((n) => n.id === id && n.depth === 0))

      assert.isTrue((yield* client.DeleteMemory({ memoryId: id, reason: "moved" }, writer)).deleted)
      const after = yield* client.SearchMemory({ query: "PostgreSQL LISTEN/NOTIFY" }, reader)
      assert.isFalse(after.some((h) => h.memory.id === id))
      assert.isFalse((yield* client.RestoreMemory({ memoryId: id }, writer)).deleted)

      // Who wrote it: the RPC actor and the caller's key as correlation id.
      const history = yield* Effect.flatMap(EventLog, (log) => log.readStream(memoryStream(id)))
      assert.deepStrictEqual(history.map((e) => e.type), ["MemoryRecorded", "MemoryLinked", "MemoryDeleted", "MemoryRestored"])
      assert.deepInclude({ ...history[0]!.metadata }, { actor: "rpc", correlationId: "writer01" })

      const missing = yield* Effect.flip(client.GetMemory({ memoryId: MemoryId.make("no-such-memory") }, reader))
      assert.strictEqual(missing._tag, "MemoryNotFound")
      const missingGraph = yield* Effect.flip(client.MemoryGraphAround({ memoryId: MemoryId.make("no-such-memory") }, reader))
      assert.strictEqual(missingGraph._tag, "MemoryNotFound")
      const tooLarge = yield* Effect.flip(client.CreateMemory({ scope: "global", kind: "fact", content: "z".repeat(8001) }, writer))
      assert.deepInclude({ ...tooLarge }, { _tag: "MemoryTooLarge", field: "content", limit: 8000 })
      const selfLink = yield* Effect.flip(client.LinkMemories({ from: id, to: id, relation: "supports" }, writer))
      assert.strictEqual(selfLink._tag, "InvalidMemoryInput")

      const denied = yield* Effect.flip(client.CreateMemory({ scope: "global", kind: "fact", content: "sneaky" }, reader))
      assert.deepInclude({ ...denied }, { _tag: "Forbidden", operation: "CreateMemory", required: "write", scope: "read" })
      const anonymous = yield* Effect.flip(client.GetMemory({ memoryId: id }))
      assert.strictEqual(anonymous._tag, "Unauthorized")
    }).pipe(Effect.provide(world)), { timeout: 60_000 })
})
