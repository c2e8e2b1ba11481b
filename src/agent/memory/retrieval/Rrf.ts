/**
 * Reciprocal rank fusion: each list contributes weight / (k + rank) for rank 1, 2, …; k = 60 as in Cormack et
 * al. Only ranks matter, so lists with incomparable scores (cosine, BM25) fuse without calibration. Pure.
 */
export const rrfK = 60

export interface RankedList {
  /** Ids best first. */
  readonly ids: ReadonlyArray<string>
  readonly weight?: number
}

export const rrf = (lists: ReadonlyArray<RankedList>, k = rrfK): Map<string, number> => {
  const scores = new Map<string, number>()
  for (const list of lists) {
    const weight = list.weight ?? 1
    list.ids.forEach((id, index) => {
      scores.set(id, (scores.get(id) ?? 0) + weight / (k + index + 1))
    })
  }
  return scores
}

/** The best fused score `lists` can give (rank 1 everywhere): divides fused scores into [0, 1]. */
export const rrfMax = (lists: ReadonlyArray<RankedList>, k = rrfK): number =>
  lists.reduce((sum, list) => sum + (list.weight ?? 1) / (k + 1), 0)
