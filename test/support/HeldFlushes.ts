/**
 * A WAL flush driver for the SQLite log's background flush (src/events/sqlite/WalSync.ts) whose flushes finish
 * only when the test says so: provide it as `WalFlush` to hold appends between their commit and their answer.
 */
import type { FlushFile } from "../../src/events/sqlite/WalSync.ts"

export const heldFlushes = () => {
  const open: Array<(error: Error | null) => void> = []
  let started = 0
  let released = false
  const flush: FlushFile = (_fd, done) => {
    started++
    if (released) done(null)
    else open.push(done)
  }
  return {
    flush,
    /** Flushes begun so far. */
    started: () => started,
    /** Flushes begun and not finished. */
    inFlight: () => open.length,
    /** Finishes the oldest open flush, with `error` if given. */
    finish: (error: Error | null = null) => open.shift()?.(error),
    /** Finishes every open flush and lets later ones finish at once (so a failed test's layers can close). */
    release: () => {
      released = true
      while (open.length > 0) open.shift()?.(null)
    }
  }
}
