/** explicit_feedback: the mean of the latest rating per target (the session, each rated turn). */
import type { DimensionScore } from "./Dimension.ts"

export const explicitFeedbackScore = (
  latestRatings: ReadonlyArray<number>,
  ratingEvents: number
): DimensionScore | undefined => {
  if (latestRatings.length === 0) return undefined
  let sum = 0
  for (const rating of latestRatings) sum += rating
  return {
    score: sum / latestRatings.length,
    signals: [["targets", latestRatings.length], ["ratings", ratingEvents]]
  }
}
