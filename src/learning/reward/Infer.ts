/**
 * Reward inference: session-level and turn-level rewards from one session's decoded events. Pure, one pass over
 * the events (`foldTrace`), no Schema work; docs/rewards.md is the specification.
 */
import type { RewardDimension, RewardSignal } from "../../events/catalogue/RewardEvents.ts"
import type { TaskCategory } from "./Category.ts"
import { combine, type DimensionScores } from "./Composite.ts"
import type { DimensionScore } from "./Dimensions/Dimension.ts"
import { efficiencyScore } from "./Dimensions/Efficiency.ts"
import { explicitFeedbackScore } from "./Dimensions/ExplicitFeedback.ts"
import { classifyReaction, implicitFeedbackScore, type Reaction } from "./Dimensions/ImplicitFeedback.ts"
import { latencyScore } from "./Dimensions/Latency.ts"
import { outcomeScore } from "./Dimensions/Outcome.ts"
import { safetyScore } from "./Dimensions/Safety.ts"
import { toolReliabilityScore } from "./Dimensions/ToolReliability.ts"
import type { EvaluatorConfig } from "./EvaluatorConfig.ts"
import { type ComparableBaseline, sessionTotals, type SessionSummary, summaryFromTrace } from "./Summary.ts"
import {
  blockCount,
  effectiveTools,
  type Exchange,
  foldTrace,
  type SessionInput,
  type SessionTrace,
  type TurnFacts
} from "./Trace.ts"

export interface RewardResult {
  /** In [-1, 1]. */
  readonly composite: number
  /** Only the dimensions the trace has a signal for. */
  readonly dimensions: DimensionScores
  /** In [0, 1]. */
  readonly confidence: number
  /** Every named number used, ready for `RewardAssigned.signals`. */
  readonly signals: ReadonlyArray<RewardSignal>
}

export interface SessionReward extends RewardResult {
  readonly category: TaskCategory
  /** How the session ended ("completed:final_answer", "failed:tool_error", …), or "running". */
  readonly end: string
  readonly promptName: string | undefined
  readonly promptVersion: string | undefined
}

export interface TurnReward extends RewardResult {
  readonly turn: number
}

type Scored = { readonly [K in RewardDimension]?: DimensionScore | undefined }

const assemble = (scored: Scored, blocked: boolean, config: EvaluatorConfig): RewardResult => {
  const dimensions: DimensionScores = {}
  const signals: Array<RewardSignal> = []
  for (const name of Object.keys(scored) as Array<RewardDimension>) {
    const dimension = scored[name]
    if (dimension === undefined) continue
    dimensions[name] = dimension.score
    for (const [signal, value] of dimension.signals) signals.push({ dimension: name, name: signal, value })
  }
  const { capped, composite, confidence, coverage, agreement } = combine(dimensions, blocked, config)
  signals.push(
    { dimension: "composite", name: "coverage", value: coverage },
    { dimension: "composite", name: "agreement", value: agreement },
    { dimension: "composite", name: "block_capped", value: capped ? 1 : 0 }
  )
  return { composite, dimensions, confidence, signals }
}

const reactionOf = (exchange: Exchange | undefined, config: EvaluatorConfig): Reaction | undefined =>
  exchange?.reaction === undefined ? undefined : classifyReaction(exchange.request, exchange.reaction, config)

const endLabel = (trace: SessionTrace): string => {
  const end = trace.end
  if (end === undefined) return "running"
  switch (end.kind) {
    case "completed":
    case "failed":
      return `${end.kind}:${end.reason}`
    case "cancelled":
      return `cancelled:${end.by}`
    case "abandoned":
      return "abandoned"
  }
}

const answered = (trace: SessionTrace): boolean => trace.exchanges[trace.exchanges.length - 1]?.replied ?? false

/** A session with a negative outcome delivered nothing, so being cheap earns it nothing: only costs count. */
const onlyCosts = (dimension: DimensionScore | undefined, failed: boolean): DimensionScore | undefined =>
  dimension === undefined || !failed || dimension.score <= 0 ? dimension : { ...dimension, score: 0 }

/** The session-level reward of a folded trace. */
export const rewardFromTrace = (
  trace: SessionTrace,
  baseline: ComparableBaseline | undefined,
  config: EvaluatorConfig
): SessionReward => {
  const totals = sessionTotals(trace)
  const reactions: Array<Reaction> = []
  for (const exchange of trace.exchanges) {
    const reaction = reactionOf(exchange, config)
    if (reaction !== undefined) reactions.push(reaction)
  }
  const ratings: Array<number> = []
  if (trace.sessionRating !== undefined) ratings.push(trace.sessionRating)
  for (const turn of trace.turns) if (turn.rating !== undefined) ratings.push(turn.rating)
  const outcome = outcomeScore(trace.end, answered(trace), config)
  const failedOutcome = outcome !== undefined && outcome.score < 0
  const scored: Scored = {
    outcome,
    tool_reliability: toolReliabilityScore(
      effectiveTools(trace.tools, trace.reportedToolCalls, trace.reportedFailedToolCalls),
      config
    ),
    safety: safetyScore(trace.safety, config),
    efficiency: onlyCosts(efficiencyScore(totals.tokens, totals.turns, baseline, config), failedOutcome),
    latency: onlyCosts(latencyScore(totals.latencyMs, trace.modelCallFailures, baseline, config), failedOutcome),
    implicit_feedback: implicitFeedbackScore(reactions),
    explicit_feedback: explicitFeedbackScore(ratings, trace.ratingCount)
  }
  const summary = summaryFromTrace(trace)
  return {
    ...assemble(scored, blockCount(trace.safety) > 0, config),
    category: summary.category,
    end: endLabel(trace),
    promptName: trace.promptName,
    promptVersion: trace.promptVersion
  }
}

/**
 * Turn-level credit, one per completed turn: that turn's tools and safety, the user's reaction to the exchange
 * the turn belongs to, a rating of that turn, and — for the session's last completed turn — the outcome.
 */
export const turnRewardsFromTrace = (trace: SessionTrace, config: EvaluatorConfig): ReadonlyArray<TurnReward> => {
  const completed = trace.turns.filter((t) => t.completed)
  const last = completed[completed.length - 1]
  const reactions = trace.exchanges.map((exchange) => reactionOf(exchange, config))
  return completed.map((turn: TurnFacts) => {
    const reaction = reactions[turn.exchange]
    const scored: Scored = {
      outcome: turn === last ? outcomeScore(trace.end, answered(trace), config) : undefined,
      tool_reliability: toolReliabilityScore(
        effectiveTools(turn.tools, turn.reportedToolCalls, turn.reportedFailedToolCalls),
        config
      ),
      safety: safetyScore(turn.safety, config),
      implicit_feedback: implicitFeedbackScore(reaction === undefined ? [] : [reaction]),
      explicit_feedback: explicitFeedbackScore(turn.rating === undefined ? [] : [turn.rating], 1)
    }
    return { turn: turn.turn, ...assemble(scored, blockCount(turn.safety) > 0, config) }
  })
}

export interface SessionEvaluation {
  readonly session: SessionReward
  readonly turns: ReadonlyArray<TurnReward>
  readonly summary: SessionSummary
}

/** Everything the reward actor needs from one session, in one pass over its events. */
export const evaluateSession = (
  events: ReadonlyArray<SessionInput>,
  baseline: ComparableBaseline | undefined,
  config: EvaluatorConfig
): SessionEvaluation => {
  const trace = foldTrace(events)
  return {
    session: rewardFromTrace(trace, baseline, config),
    turns: turnRewardsFromTrace(trace, config),
    summary: summaryFromTrace(trace)
  }
}

export const inferSessionReward = (
  events: ReadonlyArray<SessionInput>,
  baseline: ComparableBaseline | undefined,
  config: EvaluatorConfig
): SessionReward => rewardFromTrace(foldTrace(events), baseline, config)

export const inferTurnRewards = (
  events: ReadonlyArray<SessionInput>,
  config: EvaluatorConfig
): ReadonlyArray<TurnReward> => turnRewardsFromTrace(foldTrace(events), config)
