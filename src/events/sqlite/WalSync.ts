/**
 * Durable commits without blocking the event loop. With `synchronous = FULL` SQLite fsyncs the WAL inside
 * COMMIT, and better-sqlite3 runs COMMIT on the event loop: every request of a busy process waited for every
 * fsync (0.2–1 ms each). Instead the writer connection commits with NORMAL (in WAL mode: ordered, never
 * corrupt, not yet durable) and an append is answered only after an `fdatasync` of the WAL file, run on
 * libuv's thread pool, that began after its commit — the same flush FULL would have made. Appends that arrive
 * meanwhile queue in the log's group commit and share the next commit and flush.
 *
 * A commit not yet flushed is visible to other connections, but never through this process's log: reads stop
 * below the oldest unflushed commit (`visibleThrough`), and subscribers are woken after the flush. The WAL
 * keeps commits in order, so a power loss drops a suffix of them: never a flushed commit, never an
 * acknowledged append, and a projection commit made on a lost event is lost with it.
 */
import { Context, Effect } from "effect"
import { fdatasync } from "node:fs"
import { EventLogError } from "../Errors.ts"

/** Flushes one file's data to stable storage and calls back once (fdatasync, by default). */
export type FlushFile = (fd: number, done: (error: Error | null) => void) => void

/** How the WAL is flushed; tests replace it to hold flushes open. */
export class WalFlush extends Context.Reference<WalFlush>()("tau/events/sqlite/WalFlush", {
  defaultValue: (): FlushFile => fdatasync
}) {}

export interface WalSync {
  /** After a commit whose rows start at `firstPosition`: waits for a flush that began after it. */
  readonly committed: (firstPosition: number) => Effect.Effect<void, EventLogError>
  /** The highest position readers of this process may see (every commit through it is flushed). */
  readonly visibleThrough: () => number
  /** Set once a flush failed: the writer must not commit again. */
  readonly failure: () => EventLogError | undefined
}

interface Waiter {
  readonly seq: number
  readonly firstPosition: number
  readonly resume: (effect: Effect.Effect<void, EventLogError>) => void
}

export const makeWalSync = (fd: number, flush: FlushFile): WalSync => {
  let committedSeq = 0
  let flushing = false
  let failed: EventLogError | undefined
  // Commits waiting for a flush, oldest first (their first positions ascend: one writer, commit order).
  let waiters: Array<Waiter> = []

  const start = () => {
    flushing = true
    const target = committedSeq
    flush(fd, (error) => {
      flushing = false
      if (error !== null) {
        // After a failed fsync the kernel may have dropped the dirty pages: nothing after it can be promised.
        failed = new EventLogError({
          method: "append",
          reason: "storage",
          message: `flushing the SQLite WAL failed (${error.message}); appends are refused until restart`,
          cause: error
        })
        const all = waiters
        waiters = []
        for (const w of all) w.resume(Effect.fail(failed))
        return
      }
      let done = 0
      while (done < waiters.length && waiters[done]!.seq <= target) done++
      const ready = waiters.slice(0, done)
      waiters = done === waiters.length ? [] : waiters.slice(done)
      if (waiters.length > 0) start()
      for (const w of ready) w.resume(Effect.void)
    })
  }

  const committed = (firstPosition: number): Effect.Effect<void, EventLogError> =>
    failed !== undefined ? Effect.fail(failed) : Effect.async<void, EventLogError>((resume) => {
      const seq = ++committedSeq
      waiters.push({ seq, firstPosition, resume })
      if (!flushing) start()
    })

  const visibleThrough = () => (waiters.length === 0 ? Number.MAX_SAFE_INTEGER : waiters[0]!.firstPosition - 1)

  return { committed, visibleThrough, failure: () => failed }
}
