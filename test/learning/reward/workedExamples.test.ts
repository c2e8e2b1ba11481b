import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { defaultEvaluatorConfig } from "../../../src/learning/reward/DefaultConfig.ts"
import { inferSessionReward } from "../../../src/learning/reward/Infer.ts"
import { formatRow, workedExamples } from "./workedExamples.ts"

/** Rows of the worked-examples table in docs/rewards.md, by id: [dimensions, composite, confidence]. */
const docRows = (): Map<string, ReadonlyArray<string>> => {
  const doc = readFileSync(new URL("../../../docs/rewards.md", import.meta.url), "utf8")
  const section = doc.slice(doc.indexOf("## Worked examples"))
  const rows = new Map<string, ReadonlyArray<string>>()
  for (const line of section.split("\n")) {
    if (!line.startsWith("| ") || line.startsWith("| id ") || line.startsWith("|---")) continue
    const cells = line.slice(1, -1).split(" | ").map((cell) => cell.trim())
    if (cells.length === 5) rows.set(cells[0]!, cells.slice(2))
  }
  return rows
}

const rewardOf = (id: string) => {
  const example = workedExamples.find((e) => e.id === id)!
  return inferSessionReward(example.events, example.baseline, defaultEvaluatorConfig)
}

describe("docs/rewards.md worked examples", () => {
  const rows = docRows()

  it("the doc lists exactly the examples of workedExamples.ts (at least 12)", () => {
    expect([...rows.keys()].sort()).toEqual(workedExamples.map((e) => e.id).sort())
    expect(rows.size).toBeGreaterThanOrEqual(12)
  })

  for (const example of workedExamples) {
    it(example.id, () => {
      const reward = inferSessionReward(example.events, example.baseline, defaultEvaluatorConfig)
      expect(formatRow(reward)).toEqual(rows.get(example.id))
    })
  }

  it("a short successful reply alone is modestly positive with low confidence, not 1.0", () => {
    const alone = rewardOf("short-answer-alone")
    expect(alone.composite).toBeGreaterThan(0)
    expect(alone.composite).toBeLessThanOrEqual(0.5)
    expect(alone.confidence).toBeLessThan(0.4)
    expect(rewardOf("short-answer-typical").composite).toBeLessThan(alone.composite)
  })

  it("discriminates: thanks > moving on > correction > repetition > frustration", () => {
    const order = ["coding-task-thanks", "coding-task-moving-on", "correction", "repetition", "frustration"]
    const composites = order.map((id) => rewardOf(id).composite)
    expect([...composites].sort((a, b) => b - a)).toEqual(composites)
  })

  it("a block caps the composite even with a positive rating", () => {
    expect(rewardOf("tool-output-blocked").composite).toBe(defaultEvaluatorConfig.safety.blockCap)
    expect(rewardOf("thumbs-up-after-block").composite).toBe(defaultEvaluatorConfig.safety.blockCap)
  })

  it("explicit ratings dominate the trace", () => {
    expect(rewardOf("thumbs-up-on-plain-answer").composite).toBeGreaterThan(0.8)
    expect(rewardOf("thumbs-down-on-good-trace").composite).toBeLessThan(-0.6)
  })
})
