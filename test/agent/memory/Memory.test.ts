import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Exit } from "effect"
import { EventId, MemoryId } from "../../../src/domain/Ids.ts"
import { Memory } from "../../../src/agent/memory/Memory.ts"
import { EventLog } from "../../../src/events/EventLog.ts"
import { memoryStream } from "../../../src/events/Streams.ts"
import { ProjectionRunner } from "../../../src/projections/ProjectionRunner.ts"
import { describePg } from "../../support/Pg.ts"
import { pgBackend, sqliteBackend } from "../../projections/support.ts"
import type { Backend } from "../../projections/support.ts"
import { memoryWorld } from "./support.ts"

const tables = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const memory = yield* sql`SELECT id, scope, workspace, session_id, user_id, kind, content, tags, tags_text, importance,
    confidence, source_event_ids, created_position, updated_position, created_at, updated_at, deleted, merged_into,
    embedder, embedding FROM tau_memory ORDER BY id`
  const edges = yield* sql`SELECT * FROM tau_memory_edges ORDER BY from_id, to_id, relation`
  const fts = yield* sql.onDialectOrElse({
    sqlite: () => sql`SELECT rowid, content, tags FROM tau_memory_fts ORDER BY rowid`,
    orElse: () => sql`SELECT id, search::text AS search FROM tau_memory ORDER BY id`
  })
  return { memory, edges, fts }
})

const suite = (backend: Backend) => {
  it.scopedLive("record, search, update, link, delete, restore; read-your-writes; rebuild equals live", () =>
    Effect.gen(function*() {
      const database = yield* backend.fresh
      yield* Effect.gen(function*() {
        const memory = yield* Memory
        const cause = EventId.make("session-event-1")
        const pg = yield* memory.record(
          { scope: "workspace", workspace: "tau", kind: "decision", content: "We use PostgreSQL 16 with LISTEN/NOTIFY for live events", tags: ["database"] },
          { causationId: cause }
        )
        assert.strictEqual(pg.mergedFrom, null)
        assert.strictEqual(pg.memory.importance, 0.85)
        const vitest = yield* memory.record({ scope: "global", kind: "preference", content: "Run tests with vitest and @effect/vitest, never jest" })
        const lint = yield* memory.record({ scope: "global", kind: "fact", content: "ESLint runs with dprint formatting rules" })
        yield* memory.link(vitest.memory.id, lint.memory.id, "relates_to", { weight: 0.8 })

        const hits = yield* memory.search("which database do we use for live events?")
        assert.strictEqual(hits[0]?.memory.id, pg.memory.id)
        assert.isNotNull(hits[0]!.components.lexical)
        assert.isNotNull(hits[0]!.components.vector)

        // graph expansion brings the linked record in for a query that only matches its neighbour
        const viaGraph = yield* memory.search("jest vitest")
        const linted = viaGraph.find((h) => h.memory.id === lint.memory.id)
        assert.isDefined(linted)
        assert.isTrue(linted!.components.graph > 0)
        assert.strictEqual(linted!.components.graphDepth, 1)

        const updated = yield* memory.update(lint.memory.id, { content: "ESLint and dprint check formatting", importance: 0.5 })
        assert.strictEqual(updated.content, "ESLint and dprint check formatting")
        assert.strictEqual(updated.importance, 0.5)

        yield* memory.delete(pg.memory.id, "outdated")
        const afterDelete = yield* memory.search("PostgreSQL LISTEN/NOTIFY live events")
        assert.isFalse(afterDelete.some((h) => h.memory.id === pg.memory.id))
        const kept = yield* memory.get(pg.memory.id)
        assert.isTrue(kept.deleted)
        const history = yield* (yield* EventLog).readStream(memoryStream(pg.memory.id))
        assert.deepStrictEqual(history.map((e) => e.type), ["MemoryRecorded", "MemoryDeleted"])
        assert.strictEqual(history[0]!.metadata.causationId, cause)

        yield* memory.restore(pg.memory.id)
        const back = yield* memory.search("PostgreSQL LISTEN/NOTIFY live events")
        assert.strictEqual(back[0]?.memory.id, pg.memory.id)

        // consolidation: a near-copy is merged, both sources kept
        const copy = yield* memory.record({ scope: "global", kind: "preference", content: "Run tests with vitest and @effect/vitest, never jest!", importance: 0.9 })
        assert.strictEqual(copy.memory.id, vitest.memory.id)
        assert.isNotNull(copy.mergedFrom)
        assert.strictEqual(copy.memory.importance, 0.9)
        const merged = yield* memory.get(copy.mergedFrom!)
        assert.strictEqual(merged.mergedInto, vitest.memory.id)
        for (const source of merged.sourceEventIds) assert.include(copy.memory.sourceEventIds, source)
        const vitestHits = yield* memory.search("vitest")
        assert.isFalse(vitestHits.some((h) => h.memory.id === copy.mergedFrom))

        const graph = yield* memory.graph({ id: vitest.memory.id })
        assert.deepStrictEqual(graph.nodes.map((n) => n.id).sort(), [vitest.memory.id, lint.memory.id].sort())
        assert.strictEqual(graph.edges.length, 1)

        const missing = yield* Effect.exit(memory.get(MemoryId.make("nope")))
        assert.isTrue(Exit.isFailure(missing))
        const tooLarge = yield* Effect.flip(memory.record({ scope: "global", kind: "fact", content: "x".repeat(9000) }))
        assert.strictEqual(tooLarge._tag, "MemoryTooLarge")
        const invalid = yield* Effect.flip(memory.record({ scope: "workspace", kind: "fact", content: "no workspace" }))
        assert.strictEqual(invalid._tag, "InvalidMemoryInput")
        const selfLink = yield* Effect.flip(memory.link(lint.memory.id, lint.memory.id, "supports"))
        assert.strictEqual(selfLink._tag, "InvalidMemoryInput")

        const live = yield* tables
        yield* (yield* ProjectionRunner).rebuild("memory")
        const rebuilt = yield* tables
        assert.deepStrictEqual(rebuilt, live)
        assert.strictEqual(live.memory.length, 4)
      }).pipe(Effect.provide(memoryWorld(database())))
    }), 60_000)
}

describe("Memory (SQLite)", () => suite(sqliteBackend))
describePg("Memory", () => suite(pgBackend))
