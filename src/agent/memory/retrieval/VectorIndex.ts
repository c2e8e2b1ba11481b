/**
 * Brute-force cosine search over the live records' vectors, held in one growable Float32Array (one slot of
 * `dimension` floats per record) next to the metadata the filters need. Exact, no training, fast enough for
 * 10^5 records (a query vector from the hashing embedder is sparse, so only its non-zero dimensions are
 * scanned). An ANN index can replace it behind the same `upsert`/`remove`/`search`.
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

export const makeVectorIndex = (dimension: number): VectorIndex => {
  let capacity = 1024
  let vectors = new Float32Array(capacity * dimension)
  let metas: Array<IndexedMeta | undefined> = []
  let hasVector: Array<boolean> = []
  const slots = new Map<string, number>()
  const free: Array<number> = []

  const grow = () => {
    capacity *= 2
    const next = new Float32Array(capacity * dimension)
    next.set(vectors)
    vectors = next
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
    hasVector[slot] = usable
    if (usable) vectors.set(vector, slot * dimension)
  }

  const remove = (id: string) => {
    const slot = slots.get(id)
    if (slot === undefined) return
    slots.delete(id)
    metas[slot] = undefined
    hasVector[slot] = false
    free.push(slot)
  }

  const search = (
    query: Float32Array,
    limit: number,
    minSimilarity: number,
    accept?: (meta: IndexedMeta) => boolean
  ): ReadonlyArray<Hit> => {
    if (query.length !== dimension || limit <= 0) return []
    const nz: Array<number> = []
    for (let i = 0; i < dimension; i++) if (query[i] !== 0) nz.push(i)
    const dims = Int32Array.from(nz)
    const weights = Float32Array.from(nz, (i) => query[i]!)
    const top: Array<Hit> = []
    let floor = minSimilarity
    for (let slot = 0; slot < metas.length; slot++) {
      if (!hasVector[slot]) continue
      const base = slot * dimension
      let s = 0
      for (let j = 0; j < dims.length; j++) s += weights[j]! * vectors[base + dims[j]!]!
      if (s < floor) continue
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
      hasVector = []
      slots.clear()
      free.length = 0
    },
    search
  }
}

const byScore = (a: Hit, b: Hit) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
