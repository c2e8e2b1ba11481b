/**
 * The pure retrieval pieces: hashing embedding, RRF, graph expansion, scoring, the vector index, ranking.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { decideMerge } from "../../../src/agent/memory/Consolidation.ts"
import { adjacency, expand } from "../../../src/agent/memory/retrieval/GraphExpansion.ts"
import {
  cosine,
  hashDimension,
  hashEmbedding,
  vectorFromBytes,
  vectorToBytes
} from "../../../src/agent/memory/retrieval/HashEmbedding.ts"
import { rrf, rrfMax } from "../../../src/agent/memory/retrieval/Rrf.ts"
import { effectiveImportance, finalScore, recency } from "../../../src/agent/memory/retrieval/Scoring.ts"
import { rank } from "../../../src/agent/memory/retrieval/Search.ts"
import type { RankMeta } from "../../../src/agent/memory/retrieval/Search.ts"
import { makeVectorIndex } from "../../../src/agent/memory/retrieval/VectorIndex.ts"

const day = 86_400_000

describe("hashEmbedding", () => {
  it("is deterministic, unit length, and close for shared words and word pieces", () => {
    const a = hashEmbedding("Run the database migrations before deploying")
    assert.strictEqual(a.length, hashDimension)
    assert.deepStrictEqual(hashEmbedding("Run the database migrations before deploying"), a)
    assert.closeTo(cosine(a, a), 1, 1e-6)
    const near = cosine(a, hashEmbedding("database migration before deploy"))
    const far = cosine(a, hashEmbedding("Marco prefers small pull requests"))
    assert.isAbove(near, 0.5)
    assert.isBelow(far, 0.2)
    assert.deepStrictEqual([...hashEmbedding("the of and")], new Array(hashDimension).fill(0))
  })

  it("round-trips through stored bytes", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const v = hashEmbedding(text)
      assert.deepStrictEqual(vectorFromBytes(vectorToBytes(v)), v)
    }))
  })
})

describe("rrf", () => {
  it("sums weight / (k + rank) over lists", () => {
    const scores = rrf([{ ids: ["a", "b"] }, { ids: ["b", "c"] }])
    assert.closeTo(scores.get("a")!, 1 / 61, 1e-12)
    assert.closeTo(scores.get("b")!, 1 / 62 + 1 / 61, 1e-12)
    assert.closeTo(scores.get("c")!, 1 / 62, 1e-12)
    assert.closeTo(rrfMax([{ ids: [] }, { ids: [] }]), 2 / 61, 1e-12)
  })
})

describe("graph expansion", () => {
  it("reaches two hops with decaying weight, not three, and takes the strongest path", () => {
    const adj = adjacency([
      { from: "s", to: "a", relation: "supports", weight: 1 },
      { from: "a", to: "b", relation: "relates_to", weight: 0.5 },
      { from: "b", to: "c", relation: "relates_to", weight: 1 },
      { from: "s", to: "b", relation: "relates_to", weight: 0.1 }
    ])
    const reached = expand(new Map([["s", 1]]), adj, () => true)
    assert.closeTo(reached.get("a")!.score, 0.5, 1e-12)
    assert.strictEqual(reached.get("a")!.depth, 1)
    // strongest path s-a-b (0.5, two hops) beats s-b (0.1, one hop)
    assert.closeTo(reached.get("b")!.score, 0.5 * 0.25, 1e-12)
    assert.strictEqual(reached.get("b")!.depth, 2)
    // c only through s-b-c within two hops (s-a-b-c is three)
    assert.closeTo(reached.get("c")!.score, 0.1 * 0.25, 1e-12)
    const chain = adjacency([
      { from: "s", to: "x", relation: "supports", weight: 1 },
      { from: "x", to: "y", relation: "supports", weight: 1 },
      { from: "y", to: "z", relation: "supports", weight: 1 }
    ])
    assert.deepStrictEqual([...expand(new Map([["s", 1]]), chain, () => true).keys()].sort(), ["x", "y"])
    assert.isFalse(expand(new Map([["s", 1]]), adj, (id) => id !== "a").has("a"))
  })
})

describe("scoring", () => {
  it("decays importance with idle time, except identity; recency halves every 30 days", () => {
    assert.closeTo(effectiveImportance(0.8, "fact", 0, 7 * day), 0.72, 1e-12)
    assert.strictEqual(effectiveImportance(0.8, "identity", 0, 70 * day), 0.8)
    assert.closeTo(recency(0, 30 * day), 0.5, 1e-12)
    assert.strictEqual(finalScore(1, 1, 1), 1)
    assert.isTrue(finalScore(1, 0.2, 1) < finalScore(1, 0.9, 1))
  })
})

describe("vector index", () => {
  const meta = (id: string) => ({
    id,
    scope: "global" as const,
    workspace: null,
    sessionId: null,
    userId: null,
    kind: "fact" as const,
    tags: [],
    importance: 0.5,
    updatedAtMs: 0
  })

  it("finds the same top-k as a full scan, and forgets removed records", () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 60 }), fc.string(), (texts, q) => {
      const index = makeVectorIndex(hashDimension)
      texts.forEach((t, i) => index.upsert(meta(`r${i}`), hashEmbedding(t)))
      index.remove("r0")
      const query = hashEmbedding(q)
      const expected = texts
        .map((t, i) => ({ id: `r${i}`, score: cosine(query, hashEmbedding(t)) }))
        .filter((h) => h.id !== "r0" && h.score >= 0.1)
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, 5)
      const got = index.search(query, 5, 0.1)
      assert.deepStrictEqual(got.map((h) => h.id), expected.map((h) => h.id))
    }))
  })
})

describe("rank", () => {
  const metas: Record<string, RankMeta> = {
    a: { kind: "fact", importance: 0.5, updatedAtMs: 0 },
    b: { kind: "fact", importance: 0.5, updatedAtMs: 0 },
    c: { kind: "decision", importance: 1, updatedAtMs: 0 },
    n: { kind: "fact", importance: 0.5, updatedAtMs: 0 }
  }
  const base = {
    adjacency: adjacency([{ from: "a", to: "n", relation: "supports", weight: 1 }]),
    meta: (id: string) => metas[id],
    nowMs: 0,
    limit: 10,
    minScore: 0
  }

  it("fuses both lists, explains each result, expands over the graph, applies min score", () => {
    const ranked = rank({ ...base, vector: [{ id: "a", score: 0.9 }, { id: "b", score: 0.5 }], lexical: [{ id: "a", score: 3 }] })
    assert.deepStrictEqual(ranked.map((r) => r.id), ["a", "n", "b"])
    const a = ranked[0]!
    assert.strictEqual(a.components.vectorRank, 1)
    assert.strictEqual(a.components.lexicalRank, 1)
    assert.closeTo(a.components.fused, 1, 1e-12)
    assert.strictEqual(ranked[1]!.components.graphDepth, 1)
    const strict = rank({ ...base, minScore: 0.5, vector: [{ id: "a", score: 0.9 }, { id: "b", score: 0.5 }], lexical: [] })
    assert.isTrue(strict.every((r) => r.score >= 0.5))
  })

  it("ignores ineligible (deleted or filtered) records", () => {
    const ranked = rank({ ...base, meta: (id) => (id === "a" ? undefined : metas[id]), vector: [{ id: "a", score: 1 }, { id: "b", score: 0.5 }], lexical: [] })
    assert.deepStrictEqual(ranked.map((r) => r.id), ["b"])
  })
})

describe("consolidation", () => {
  it("merges only at or above the threshold", () => {
    assert.deepStrictEqual(decideMerge([{ id: "x", score: 0.95 }], 0.9), { into: "x", similarity: 0.95 })
    assert.isUndefined(decideMerge([{ id: "x", score: 0.85 }], 0.9))
    assert.isUndefined(decideMerge([], 0.9))
  })
})
