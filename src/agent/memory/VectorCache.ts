/**
 * The process's in-memory copy of the live records' vectors and filter metadata, loaded lazily from the
 * projection and refreshed by position: each refresh reads only rows whose `updated_position` is above the
 * last one seen (a deleted or merged row leaves the cache, a changed one is replaced). If the projection's
 * highest position falls below the cache's (a rebuild started), the cache starts over.
 */
import { Effect } from "effect"
import type { EmbedderShape } from "./Embedder.ts"
import type { makeMemoryQueries } from "./MemoryQueries.ts"
import { rowVector } from "./MemoryRows.ts"
import type { MemoryRow } from "./MemoryRows.ts"
import { makeVectorIndex } from "./retrieval/VectorIndex.ts"
import type { IndexedMeta, VectorIndex } from "./retrieval/VectorIndex.ts"

type Queries = Effect.Effect.Success<typeof makeMemoryQueries>

const pageSize = 5000

export const toMeta = (r: MemoryRow): IndexedMeta => ({
  id: r.id,
  scope: r.scope,
  workspace: r.workspace,
  sessionId: r.session_id,
  userId: r.user_id,
  kind: r.kind,
  tags: r.tags,
  importance: r.importance,
  updatedAtMs: r.updated_at.getTime()
})

export const makeVectorCache = (queries: Queries, embedder: EmbedderShape) =>
  Effect.gen(function*() {
    const lock = yield* Effect.makeSemaphore(1)
    let index: VectorIndex | undefined
    let position = 0

    const apply = (row: MemoryRow) => {
      if (row.deleted !== 0 || row.merged_into !== null) {
        index?.remove(row.id)
        return
      }
      const vector = row.embedder === embedder.id ? rowVector(row) : null
      if (index === undefined) {
        const dimension = embedder.dimension > 0 ? embedder.dimension : vector?.length ?? 0
        if (dimension === 0) return
        index = makeVectorIndex(dimension)
      }
      index.upsert(toMeta(row), vector)
    }

    /** Brings the cache up to the projection's current state; returns the index (absent while empty). */
    const refresh = lock.withPermits(1)(Effect.gen(function*() {
      const head = yield* queries.maxPosition
      if (head < position) {
        index?.clear()
        position = 0
      }
      while (position < head) {
        const rows = yield* queries.changedSince(position, pageSize)
        if (rows.length === 0) break
        for (const row of rows) apply(row)
        position = rows[rows.length - 1]!.updated_position
      }
      return index
    }))

    return { refresh } as const
  })
