import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { forEachBatch, rowsPerStatement } from "../../src/projections/SqlBatches.ts"

describe("forEachBatch", () => {
  it.effect("cuts rows into statement-sized batches, in order, none empty", () =>
    Effect.gen(function*() {
      for (const count of [0, 1, rowsPerStatement, rowsPerStatement + 1, 2 * rowsPerStatement + 201]) {
        const rows = Array.from({ length: count }, (_, i) => i)
        const batches: Array<ReadonlyArray<number>> = []
        yield* forEachBatch(rows, (batch) => Effect.sync(() => batches.push(batch)))
        assert.deepStrictEqual(batches.flat(), rows)
        assert.strictEqual(batches.length, Math.ceil(count / rowsPerStatement))
        assert.isTrue(batches.every((b) => b.length > 0 && b.length <= rowsPerStatement))
      }
    }))
})
