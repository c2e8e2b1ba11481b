/**
 * Stream versions as of `head`, the log head after this writer's last commit. A writer that finds the head
 * still at that value under the write lock knows nobody appended since, so the cached versions are exact and
 * a batch can be planned without reading them. Both backends keep one per writer connection.
 */
import type { AppendOutcome, AppendPlan, AppendRequest } from "./AppendPlan.ts"

/** Beyond this many streams the cache starts over (a long-lived writer touching many streams). */
const LIMIT = 100_000

export interface VersionCache {
  /** The head the versions hold at; -1 while nothing is known. */
  readonly head: () => number
  readonly get: (streamId: string) => number | undefined
  readonly set: (streamId: string, version: number) => void
  /** Keeps the versions if `head` is the one they hold at, else drops them; then they hold at `head`. */
  readonly moveTo: (head: number) => void
  /** After a commit of this plan (planned on this cache's versions). */
  readonly remember: (plan: AppendPlan) => void
  /**
   * After a commit planned elsewhere (in the database): `headAfter` is the head it left, `written` the rows
   * it wrote, and the outcomes are exact under its lock, in batch order.
   */
  readonly learn: (
    requests: ReadonlyArray<AppendRequest>,
    outcomes: ReadonlyArray<AppendOutcome>,
    headAfter: number,
    written: number
  ) => void
  /** The lock was let go without a commit of ours: another writer may have appended since. */
  readonly forget: () => void
}

export const makeVersionCache = (): VersionCache => {
  const versions = new Map<string, number>()
  let head = -1
  const moveTo = (next: number) => {
    if (next !== head || versions.size > LIMIT) versions.clear()
    head = next
  }
  return {
    head: () => head,
    get: (streamId) => versions.get(streamId),
    set: (streamId, version) => {
      versions.set(streamId, version)
    },
    moveTo,
    remember: (plan) => {
      for (const row of plan.rows) versions.set(row.streamId, row.streamVersion)
      head = plan.head
    },
    learn: (requests, outcomes, headAfter, written) => {
      moveTo(headAfter - written)
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i]!
        if (outcome._tag === "Success") {
          // A retry wrote nothing and names versions of the past; the stream's current one is unchanged.
          if (outcome.result.written) versions.set(outcome.result.streamId, outcome.result.streamVersion)
        } else if (outcome.error._tag === "StreamVersionConflict") {
          versions.set(requests[i]!.streamId, outcome.error.actual)
        }
      }
      head = headAfter
    },
    forget: () => {
      versions.clear()
      head = -1
    }
  }
}
