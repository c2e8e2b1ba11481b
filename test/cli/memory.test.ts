/**
 * `tau memory …` on one SQLite file: add, show, search (with components), link, graph, delete, restore, and
 * readable failures. The first write and an unknown id go through a real `tau` process (exit codes, stderr);
 * the rest runs the same command tree in-process (runCli), as a process start costs seconds on a loaded machine.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runTau } from "../support/Spawn.ts"
import { runCli } from "./runCli.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), "tau-cli-memory-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

interface Encoded {
  readonly id: string
  readonly kind: string
  readonly tags: ReadonlyArray<string>
  readonly importance: number
  readonly deleted: boolean
}
interface Hit {
  readonly memory: Encoded
  readonly score: number
  readonly components: { readonly vector: number | null; readonly lexical: number | null; readonly graph: number; readonly graphDepth: number | null }
}

describe("tau memory", () => {
  it.scopedLive("add, show, search, link, graph, delete, restore; unknown ids and bad options exit 1", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const env = { TAU_DATABASE_URL: join(dir, "tau.db") }
      const spawned = (...args: ReadonlyArray<string>) => runTau(["memory", ...args], { env, clean: true })
      const tau = (...args: ReadonlyArray<string>) => runCli(["memory", ...args], env)
      const ok = (...args: ReadonlyArray<string>) =>
        Effect.tap(tau(...args), (run) => assert.isTrue(run.ok, `${args.join(" ")}: ${run.stderr}`))

      const added = yield* spawned(
        "add", "We use PostgreSQL 16 with LISTEN/NOTIFY for live events", "--kind", "decision", "--tags", "db,infra", "--json"
      )
      assert.strictEqual(added.code, 0, added.stderr)
      const pg = JSON.parse(added.stdout) as { memory: Encoded; mergedFrom: string | null }
      const again = JSON.parse((yield* ok(
        "add", "We use PostgreSQL 16 with LISTEN/NOTIFY for live events", "--kind", "decision", "--tags", "db,infra", "--json"
      )).stdout) as { memory: Encoded; mergedFrom: string | null }
      assert.deepInclude(pg.memory, { kind: "decision", importance: 0.85, deleted: false })
      assert.strictEqual(again.memory.id, pg.memory.id, "a near-copy is consolidated into the first record")
      assert.isNotNull(again.mergedFrom)
      assert.deepStrictEqual(pg.memory.tags, ["db", "infra"])
      assert.isNull(pg.mergedFrom)
      const lintId = (yield* ok("add", "ESLint runs with dprint formatting rules", "--importance", "0.4")).stdout.trim()
      assert.match(lintId, /^[0-9a-f-]{36}$/)

      const linked = yield* ok("link", pg.memory.id, lintId, "--relation", "relates_to", "--weight", "0.8")
      assert.include(linked.stdout, `${pg.memory.id} -[relates_to 0.800]-> ${lintId}`)

      const shown = (yield* ok("show", pg.memory.id)).stdout
      assert.match(shown, /state\s+live/)
      assert.include(shown, "We use PostgreSQL 16")
      assert.include(shown, `-[relates_to 0.800]-> ${lintId}`)

      const hits = JSON.parse((yield* ok("search", "which database for live events", "--json")).stdout) as ReadonlyArray<Hit>
      assert.strictEqual(hits[0]?.memory.id, pg.memory.id)
      assert.isNotNull(hits[0]!.components.vector)
      assert.isNotNull(hits[0]!.components.lexical)
      const viaGraph = hits.find((h) => h.memory.id === lintId)
      assert.isDefined(viaGraph, "the linked record comes in through the graph")
      assert.strictEqual(viaGraph!.components.graphDepth, 1)
      const filtered = JSON.parse((yield* ok("search", "database events", "--kind", "fact", "--json")).stdout) as ReadonlyArray<Hit>
      assert.isFalse(filtered.some((h) => h.memory.id === pg.memory.id))
      const table = (yield* ok("search", "PostgreSQL", "--tag", "db", "--min-score", "0.1")).stdout
      assert.match(table.split("\n")[0]!, /score\s+vector\s+lexical\s+fused\s+graph\s+importance\s+recency/)
      assert.include(table, pg.memory.id)

      const graph = JSON.parse((yield* ok("graph", lintId, "--depth", "1", "--json")).stdout) as {
        nodes: ReadonlyArray<{ id: string; depth: number }>
        edges: ReadonlyArray<{ from: string; to: string; relation: string; weight: number }>
      }
      assert.deepStrictEqual(graph.nodes.map((n) => [n.id, n.depth]).sort(), [[lintId, 0], [pg.memory.id, 1]].sort())
      assert.deepInclude(graph.edges[0]!, { from: pg.memory.id, to: lintId, relation: "relates_to", weight: 0.8 })

      assert.include((yield* ok("delete", pg.memory.id, "--reason", "moved to MySQL")).stdout, `deleted ${pg.memory.id}`)
      const afterDelete = JSON.parse((yield* ok("search", "PostgreSQL LISTEN/NOTIFY", "--json")).stdout) as ReadonlyArray<Hit>
      assert.isFalse(afterDelete.some((h) => h.memory.id === pg.memory.id))
      assert.match((yield* ok("show", pg.memory.id)).stdout, /state\s+deleted/)
      yield* ok("restore", pg.memory.id)
      const back = JSON.parse((yield* ok("show", pg.memory.id, "--json")).stdout) as Encoded
      assert.isFalse(back.deleted)

      const unknown = yield* spawned("show", "0000-nothing")
      assert.strictEqual(unknown.code, 1)
      assert.strictEqual(unknown.stderr.trim(), "error: no memory 0000-nothing")
      const badLink = yield* tau("link", pg.memory.id, "0000-nothing", "--relation", "supports")
      assert.isFalse(badLink.ok)
      assert.include(badLink.stderr, "no memory 0000-nothing")
      const empty = yield* tau("add", "   ")
      assert.isFalse(empty.ok)
      assert.include(empty.stderr, "content is empty")
      const badScore = yield* tau("search", "x", "--min-score", "2")
      assert.isFalse(badScore.ok)
      assert.include(badScore.stderr, "--min-score")
    }), { timeout: 240_000 })
})
