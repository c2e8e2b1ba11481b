/**
 * Multi-row statements of the projections, cut into batches: a page can hold thousands of rows, more parameters
 * than SQLite (32,766) or PostgreSQL (65,535) take in one statement.
 */
import { Effect } from "effect"

/** Rows per statement: at ~10 columns, well under both databases' parameter limits. */
export const rowsPerStatement = 500

/** Runs `write` on `rows` in batches of `rowsPerStatement`, in order. */
export const forEachBatch = <A, E, R>(
  rows: ReadonlyArray<A>,
  write: (batch: ReadonlyArray<A>) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    const batches: Array<ReadonlyArray<A>> = []
    for (let i = 0; i < rows.length; i += rowsPerStatement) batches.push(rows.slice(i, i + rowsPerStatement))
    return Effect.forEach(batches, write, { discard: true })
  })
