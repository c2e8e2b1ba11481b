import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { hashUuid, rewardEventId } from "../../../src/actors/reward/RewardEventId.ts"
import { ranks, rescoreDiff, spearman } from "../../../src/learning/reward/Rescore.ts"

const s = (sessionId: string, composite: number, dimensions: Record<string, number> = {}) => ({
  sessionId,
  composite,
  dimensions
})

describe("rescore diff", () => {
  it("ranks share ties; spearman is 1 for the same order, -1 for the reverse", () => {
    assert.deepStrictEqual(ranks([0.5, 0.1, 0.5, 0.9]), [2.5, 1, 2.5, 4])
    assert.strictEqual(spearman([1, 2, 3], [10, 20, 30]), 1)
    assert.strictEqual(spearman([1, 2, 3], [3, 2, 1]), -1)
  })

  it("mean shift, sign flips, per-dimension shifts and presence changes", () => {
    const diff = rescoreDiff(
      [s("a", 0.5, { outcome: 0.5 }), s("b", -0.2, { outcome: -0.4 }), s("c", 0.1), s("gone", 1)],
      [s("a", 0.3, { outcome: 0.3, safety: -0.1 }), s("b", 0.2, { outcome: 0 }), s("c", 0.1), s("new", 0)]
    )
    assert.strictEqual(diff.sessions, 3)
    assert.strictEqual(diff.onlyBefore, 1)
    assert.strictEqual(diff.onlyAfter, 1)
    assert.closeTo(diff.meanShift, (0.6 - 0.4) / 3 - 0, 1e-12)
    assert.deepStrictEqual(diff.signFlips, [{ sessionId: "b", before: -0.2, after: 0.2 }])
    const outcome = diff.dimensions.find((d) => d.dimension === "outcome")!
    assert.closeTo(outcome.meanShift, 0.1, 1e-12)
    assert.strictEqual(diff.dimensions.find((d) => d.dimension === "safety")!.presenceChanged, 1)
  })

  it("property: a diff against itself has no shift, no flips and rank correlation 1", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 50 }), (xs) => {
        const rows = xs.map((x, i) => s(`s${i}`, x, { outcome: x }))
        const diff = rescoreDiff(rows, rows)
        return diff.meanShift === 0 && diff.signFlips.length === 0 && diff.spearman === 1
      })
    )
  })

  it("property: spearman is in [-1, 1] and symmetric", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 })), { minLength: 2, maxLength: 40 }),
        (pairs) => {
          const xs = pairs.map(([x]) => x)
          const ys = pairs.map(([, y]) => y)
          const r = spearman(xs, ys)
          return r >= -1 - 1e-12 && r <= 1 + 1e-12 && Math.abs(r - spearman(ys, xs)) < 1e-12
        }
      )
    )
  })
})

describe("reward event ids", () => {
  const evaluator = { name: "tau-default", version: "1", hash: "abc" }
  it("deterministic, distinct per revision, turn and evaluator, and shaped as a UUIDv8", () => {
    const id = rewardEventId("s-1", evaluator, 1)
    assert.strictEqual(id, rewardEventId("s-1", evaluator, 1))
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const others = [
      rewardEventId("s-1", evaluator, 2),
      rewardEventId("s-1", evaluator, 1, 1),
      rewardEventId("s-1", { ...evaluator, hash: "abd" }, 1),
      rewardEventId("s-2", evaluator, 1)
    ]
    assert.strictEqual(new Set([id, ...others]).size, 5)
    assert.notStrictEqual(hashUuid("a"), hashUuid("b"))
  })
})
