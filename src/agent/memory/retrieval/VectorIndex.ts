/**
 * Brute-force cosine search over the live records' vectors, exact, no training. Vectors are stored by
 * dimension (one Float32Array column per dimension, one row per record slot), so a query streams through
 * the columns of its non-zero dimensions only (a hashing-embedder query touches about a third of them)
 * accumulating every record's score: contiguous reads the JIT turns into a tight loop. Fast enough for 10^5
 * records; an ANN index can replace it behind the same `upsert`/`remove`/`search`.
 */
import type { MemoryKind, MemoryScope } from "../../../events/catalogue/MemoryEvents.ts"
import type { Hit } from "./Search.ts"

export interface IndexedMeta {
  readonly id: string
  readonly scope: MemoryScope
  readonly workspace: string | null
  readonly sessionId: string | null
  readonly userId: string | null
  readonly kind: MemoryKind
  readonly tags: ReadonlyArray<string>
  readonly importance: number
  readonly updatedAtMs: number
}

export interface VectorIndex {
  readonly dimension: number
  readonly size: () => number
  /** `vector` null: the record is live but has no comparable vector (another embedder wrote it). */
  readonly upsert: (meta: IndexedMeta, vector: Float32Array | null) => void
  readonly remove: (id: string) => void
  readonly meta: (id: string) => IndexedMeta | undefined
  readonly clear: () => void
  /** Best `limit` records with cosine ≥ `minSimilarity` among those `accept` lets through, best first. */
  readonly search: (
    query: Float32Array,
    limit: number,
    minSimilarity: number,
    accept?: (meta: IndexedMeta) => boolean
  ) => ReadonlyArray<Hit>
}

const byScore = (a: Hit, b: Hit) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export const makeVectorIndex = (dimension: number): VectorIndex => {
  let capacity = 1024
  let columns = Array.from({ length: dimension }, () => new Float32Array(capacity))
  /** 1 where the slot holds a live record with a comparable vector. */
  let present = new Uint8Array(capacity)
  let metas: Array<IndexedMeta | undefined> = []
  const slots = new Map<string, number>()
  const free: Array<number> = []
  let scores = new Float64Array(capacity)

  const grow = () => {
    capacity *= 2
    columns = columns.map((column) => {
      const next = new Float32Array(capacity)
      next.set(column)
      return next
    })
    const nextPresent = new Uint8Array(capacity)
    nextPresent.set(present)
    present = nextPresent
    scores = new Float64Array(capacity)
  }

  const upsert = (meta: IndexedMeta, vector: Float32Array | null) => {
    let slot = slots.get(meta.id)
    if (slot === undefined) {
      slot = free.pop() ?? metas.length
      if (slot >= capacity) grow()
      slots.set(meta.id, slot)
    }
    metas[slot] = meta
    const usable = vector !== null && vector.length === dimension
    present[slot] = usable ? 1 : 0
    for (let d = 0; d < dimension; d++) columns[d]![slot] = usable ? vector[d]! : 0
  }

  const remove = (id: string) => {
    const slot = slots.get(id)
    if (slot === undefined) return
    slots.delete(id)
    metas[slot] = undefined
    present[slot] = 0
    for (let d = 0; d < dimension; d++) columns[d]![slot] = 0
    free.push(slot)
  }

  const search = (
    query: Float32Array,
    limit: number,
    minSimilarity: number,
    accept?: (meta: IndexedMeta) => boolean
  ): ReadonlyArray<Hit> => {
    if (query.length !== dimension || limit <= 0) return []
    const n = metas.length
    const acc = scores
    acc.fill(0, 0, n)
    for (let d = 0; d < dimension; d++) {
      const w = query[d]!
      if (w === 0) continue
      const column = columns[d]!
      for (let i = 0; i < n; i++) acc[i]! += w * column[i]!
    }
    const top: Array<Hit> = []
    let floor = minSimilarity
    for (let slot = 0; slot < n; slot++) {
      const s = acc[slot]!
      if (s < floor || present[slot] === 0) continue
      const meta = metas[slot]!
      if (accept !== undefined && !accept(meta)) continue
      top.push({ id: meta.id, score: s })
      if (top.length > limit * 4) {
        top.sort(byScore)
        top.length = limit
        floor = Math.max(minSimilarity, top[limit - 1]!.score)
      }
    }
    return top.sort(byScore).slice(0, limit)
  }

  return {
    dimension,
    size: () => slots.size,
    upsert,
    remove,
    meta: (id) => {
      const slot = slots.get(id)
      return slot === undefined ? undefined : metas[slot]
    },
    clear: () => {
      metas = []
      present.fill(0)
      for (const column of columns) column.fill(0)
      slots.clear()
      free.length = 0
    },
    search
  }
}
