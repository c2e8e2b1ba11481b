/** What a dimension returns when the trace has a signal for it; `undefined` means no signal. */
export interface DimensionScore {
  /** In [-1, 1]. */
  readonly score: number
  /** The named numbers the score was computed from (become `RewardSignal`s). */
  readonly signals: ReadonlyArray<readonly [name: string, value: number]>
}

export const clip = (x: number, low = -1, high = 1): number => (x < low ? low : x > high ? high : x)

/**
 * −tanh(ln(value / median) / ln(spread)): 0 at the median, ±0.46 at a factor of √spread, ∓0.76 at a factor of
 * spread, and never exactly ±1, so a cheap session still ranks below a cheaper one.
 */
export const relativeScore = (value: number, median: number, spread: number): number => {
  const ratio = Math.max(value, 1) / Math.max(median, 1)
  return 0 - Math.tanh(Math.log(ratio) / Math.log(spread))
}
