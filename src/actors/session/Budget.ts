/**
 * Cost budget of a session: alerts when cumulative cost crosses each configured fraction of the budget (each
 * threshold once per session), and a hard stop once the budget is spent.
 */
export const defaultAlertThresholds: ReadonlyArray<number> = [0.5, 0.8, 1]

/** Thresholds newly crossed by `spentUsd`, ascending, skipping those already raised. */
export const crossedThresholds = (input: {
  readonly thresholds: ReadonlyArray<number>
  readonly raised: ReadonlyArray<number>
  readonly spentUsd: number
  readonly budgetUsd: number | undefined
}): ReadonlyArray<number> => {
  const { budgetUsd, raised, spentUsd } = input
  if (budgetUsd === undefined || budgetUsd <= 0) return []
  return [...new Set(input.thresholds)]
    .filter((t) => t > 0 && t <= 1 && !raised.includes(t) && spentUsd >= t * budgetUsd)
    .sort((a, b) => a - b)
}

/** The hard stop: no further model call once the budget is spent. */
export const budgetExhausted = (spentUsd: number, budgetUsd: number | undefined): boolean =>
  budgetUsd !== undefined && spentUsd >= budgetUsd
