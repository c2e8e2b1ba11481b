/**
 * Consolidation: a new record whose vector is nearly identical to a live record of the same scope (and
 * workspace / session) is merged into that record instead of becoming a duplicate. Pure decision; the memory
 * service appends the events.
 */
import type { Hit } from "./retrieval/Search.ts"

/** Cosine above which two records say the same thing (the hashing embedder gives ≥ 0.9 only to near-copies). */
export const defaultMergeThreshold = 0.9

export interface MergeDecision {
  readonly into: string
  readonly similarity: number
}

/** The best candidate at or above `threshold`, if any (`candidates` best first, already filtered to the scope). */
export const decideMerge = (candidates: ReadonlyArray<Hit>, threshold = defaultMergeThreshold): MergeDecision | undefined => {
  const best = candidates[0]
  return best !== undefined && best.score >= threshold ? { into: best.id, similarity: Math.min(1, best.score) } : undefined
}

/** Importance and confidence of the survivor: the stronger of the two. */
export const mergedStrength = (
  survivor: { readonly importance: number; readonly confidence: number },
  incoming: { readonly importance: number; readonly confidence: number }
) => ({
  importance: Math.max(survivor.importance, incoming.importance),
  confidence: Math.max(survivor.confidence, incoming.confidence)
})
