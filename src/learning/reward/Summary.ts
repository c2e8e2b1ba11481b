/**
 * Per-session numbers that baselines are built from, and the baseline itself: medians over the most recent
 * comparable finished sessions (same task category when there are enough of them).
 */
import { categorize, type TaskCategory } from "./Category.ts"
import { foldTrace, type SessionInput, type SessionTrace } from "./Trace.ts"

export interface SessionSummary {
  readonly sessionId: string | undefined
  readonly category: TaskCategory
  /** Prompt + completion tokens over the session's turns. */
  readonly tokens: number
  readonly turns: number
  /** Agent time: the sum of turn durations. */
  readonly latencyMs: number
  /** Whether the session has ended (only ended sessions enter baselines). */
  readonly ended: boolean
}

export interface ComparableBaseline {
  readonly medianTokens: number
  readonly medianTurns: number
  readonly medianLatencyMs: number
  readonly sampleSize: number
}

/** Turn totals, falling back to model-call totals for traces without TurnCompleted events. */
export const sessionTotals = (trace: SessionTrace): { tokens: number; turns: number; latencyMs: number } =>
  trace.completedTurns > 0
    ? { tokens: trace.turnTokens, turns: trace.completedTurns, latencyMs: trace.turnDurationMs }
    : { tokens: trace.modelTokens, turns: trace.endTurns, latencyMs: trace.modelLatencyMs }

export const summaryFromTrace = (trace: SessionTrace): SessionSummary => ({
  sessionId: trace.sessionId,
  category: categorize(trace.exchanges[0]?.request),
  ...sessionTotals(trace),
  ended: trace.end !== undefined
})

export const summarizeSession = (events: ReadonlyArray<SessionInput>): SessionSummary =>
  summaryFromTrace(foldTrace(events))

export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export interface BaselineOptions {
  /** Prefer sessions of this category. */
  readonly category?: TaskCategory | undefined
  /** Most recent sessions considered (default 200). */
  readonly window?: number
  /** Below this many sessions of the category, use every category (default 5). */
  readonly minSamples?: number
}

const take = (
  summaries: ReadonlyArray<SessionSummary>,
  keep: (s: SessionSummary) => boolean,
  window: number
): Array<SessionSummary> => {
  const out: Array<SessionSummary> = []
  for (let i = summaries.length - 1; i >= 0 && out.length < window; i--) {
    const summary = summaries[i]!
    if (summary.ended && summary.turns > 0 && keep(summary)) out.push(summary)
  }
  return out
}

/**
 * Medians over the last `window` ended sessions of `summaries` (oldest first) with the same category, or of
 * every category when the category has fewer than `minSamples`. Pass only sessions before the one scored.
 */
export const computeBaseline = (
  summaries: ReadonlyArray<SessionSummary>,
  options: BaselineOptions = {}
): ComparableBaseline => {
  const window = options.window ?? 200
  const minSamples = options.minSamples ?? 5
  const category = options.category
  let sample = category === undefined ? [] : take(summaries, (s) => s.category === category, window)
  if (sample.length < minSamples) sample = take(summaries, () => true, window)
  return {
    medianTokens: median(sample.map((s) => s.tokens)),
    medianTurns: median(sample.map((s) => s.turns)),
    medianLatencyMs: median(sample.map((s) => s.latencyMs)),
    sampleSize: sample.length
  }
}
