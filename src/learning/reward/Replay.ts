/**
 * The reward evaluator's semantics over a whole log, as a pure fold (the rescorer runs it; the actor applies the
 * same rules one trigger at a time):
 * - a session is scored when it ends (its first ending event), and again for each `FeedbackReceived` after that:
 *   revision 1, 2, …; each score sees the session's events up to its trigger;
 * - the baseline of a session is `computeBaseline` over the summaries of the sessions that ended before it, in
 *   log order (fixed at its end, also for later revisions).
 */
import type { Envelope } from "../../events/Envelope.ts"
import type { TauEvent } from "../../events/TauEvent.ts"
import type { EvaluatorConfig } from "./EvaluatorConfig.ts"
import { type SessionEvaluation, rewardFromTrace, turnRewardsFromTrace } from "./Infer.ts"
import { type ComparableBaseline, computeBaseline, type SessionSummary, summaryFromTrace } from "./Summary.ts"
import { foldTrace } from "./Trace.ts"

export const endingTags: ReadonlySet<string> = new Set([
  "SessionCompleted",
  "SessionAbandoned",
  "SessionFailed",
  "SessionCancelled"
])

/** Whether an event of a session stream triggers a (re)score once the session has ended. */
export const isRewardTrigger = (type: string): boolean => type === "FeedbackReceived" || endingTags.has(type)

interface Entry {
  readonly sessionId: string
  readonly events: Array<Envelope<TauEvent>>
  ended: boolean
  endedAt: Date | undefined
  baseline: ComparableBaseline | undefined
  revision: number
  /** Events seen up to the last trigger. */
  cut: number
}

export interface ReplayedSession {
  readonly sessionId: string
  readonly revision: number
  readonly endedAt: Date
  readonly evaluation: SessionEvaluation
}

/** Summary + baseline of a session that just ended, given the summaries of those that ended before it. */
export const baselineAtEnd = (
  events: ReadonlyArray<Envelope<TauEvent>>,
  prior: ReadonlyArray<SessionSummary>
): { readonly summary: SessionSummary; readonly baseline: ComparableBaseline } => {
  const summary = summaryFromTrace(foldTrace(events))
  return { summary, baseline: computeBaseline(prior, { category: summary.category }) }
}

export const evaluateAt = (
  events: ReadonlyArray<Envelope<TauEvent>>,
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

/** Feed session-stream envelopes in log order, then `finish` with a configuration. */
export class LogReplay {
  private readonly sessions = new Map<string, Entry>()
  private readonly ended: Array<SessionSummary> = []

  feed(envelope: Envelope<TauEvent>): void {
    const event = envelope.event
    const sessionId = "sessionId" in event ? event.sessionId : undefined
    if (sessionId === undefined || !envelope.streamId.startsWith("session-")) return
    let entry = this.sessions.get(sessionId)
    if (entry === undefined) {
      entry = {
        sessionId,
        events: [],
        ended: false,
        endedAt: undefined,
        baseline: undefined,
        revision: 0,
        cut: 0
      }
      this.sessions.set(sessionId, entry)
    }
    entry.events.push(envelope)
    if (!entry.ended && endingTags.has(event._tag)) {
      const { baseline, summary } = baselineAtEnd(entry.events, this.ended)
      this.ended.push(summary)
      entry.ended = true
      entry.endedAt = envelope.recordedAt
      entry.baseline = baseline
      entry.revision = 1
      entry.cut = entry.events.length
    } else if (entry.ended && event._tag === "FeedbackReceived") {
      entry.revision += 1
      entry.cut = entry.events.length
    }
  }

  /** The latest revision of every ended session (in end order), scored with `config`. */
  finish(config: EvaluatorConfig, keep: (endedAt: Date) => boolean = () => true): ReadonlyArray<ReplayedSession> {
    const out: Array<ReplayedSession> = []
    for (const entry of this.sessions.values()) {
      if (!entry.ended || entry.endedAt === undefined || !keep(entry.endedAt)) continue
      out.push({
        sessionId: entry.sessionId,
        revision: entry.revision,
        endedAt: entry.endedAt,
        evaluation: evaluateAt(entry.events.slice(0, entry.cut), entry.baseline, config)
      })
    }
    return out
  }
}
