/**
 * implicit_feedback: the user's next message read as a reaction to the previous exchange. Negative cues win over
 * positive ones ("thanks, but it still fails" is a correction); the most negative cue present gives the score.
 */
import type { EvaluatorConfig } from "../EvaluatorConfig.ts"
import { containsPhrase, contentTokens, firstMatch, jaccard, normalize, words } from "../Text.ts"
import type { DimensionScore } from "./Dimension.ts"

export type ReactionKind =
  | "repetition"
  | "correction"
  | "negation"
  | "frustration"
  | "thanks"
  | "acceptance"
  | "moving_on"

export interface Reaction {
  readonly kind: ReactionKind
  readonly score: number
  readonly similarity: number
}

const stopwordSets = new WeakMap<EvaluatorConfig, ReadonlySet<string>>()
const stopwordsOf = (config: EvaluatorConfig): ReadonlySet<string> => {
  let set = stopwordSets.get(config)
  if (set === undefined) {
    set = new Set(config.implicitFeedback.lexicon.stopwords.map(normalize))
    stopwordSets.set(config, set)
  }
  return set
}

/** The reaction `next` expresses to the exchange that started with `request`; undefined when it says nothing clear. */
export const classifyReaction = (request: string, next: string, config: EvaluatorConfig): Reaction | undefined => {
  const c = config.implicitFeedback
  const { lexicon, scores } = c
  const text = normalize(next)
  const stopwords = stopwordsOf(config)
  const nextTokens = contentTokens(text, stopwords)
  const similarity = jaccard(contentTokens(normalize(request), stopwords), nextTokens)

  const thanks = firstMatch(text, lexicon.thanks) !== undefined
  const acceptance = firstMatch(text, lexicon.acceptance) !== undefined
  const positiveOpening = [...lexicon.thanks, ...lexicon.acceptance].some((p) =>
    text.startsWith(p) && containsPhrase(text.slice(0, p.length + 1), p)
  )
  const first = words(text)[0]
  const negatives: Array<Reaction> = []
  const push = (kind: ReactionKind, score: number) => negatives.push({ kind, score, similarity })
  if (similarity >= c.repetitionThreshold && nextTokens.size >= c.repetitionMinTokens) {
    push("repetition", scores.repetition)
  }
  if (firstMatch(text, lexicon.correction) !== undefined) push("correction", scores.correction)
  if (first !== undefined && lexicon.negationOpeners.includes(first) && !positiveOpening) {
    push("negation", scores.negation)
  }
  if (firstMatch(text, lexicon.frustration) !== undefined) push("frustration", scores.frustration)
  if (negatives.length > 0) return negatives.reduce((a, b) => (b.score < a.score ? b : a))
  if (thanks) return { kind: "thanks", score: scores.thanks, similarity }
  if (acceptance) return { kind: "acceptance", score: scores.acceptance, similarity }
  if (similarity <= c.movingOnMaxSimilarity) return { kind: "moving_on", score: scores.movingOn, similarity }
  return undefined
}

const kinds: ReadonlyArray<ReactionKind> = [
  "repetition",
  "correction",
  "negation",
  "frustration",
  "thanks",
  "acceptance",
  "moving_on"
]

/** The mean score of the classified reactions. */
export const implicitFeedbackScore = (reactions: ReadonlyArray<Reaction>): DimensionScore | undefined => {
  if (reactions.length === 0) return undefined
  let sum = 0
  const counts = new Map<ReactionKind, number>()
  for (const reaction of reactions) {
    sum += reaction.score
    counts.set(reaction.kind, (counts.get(reaction.kind) ?? 0) + 1)
  }
  const signals: Array<readonly [string, number]> = [["reactions", reactions.length]]
  for (const kind of kinds) {
    const n = counts.get(kind)
    if (n !== undefined) signals.push([kind, n])
  }
  return { score: sum / reactions.length, signals }
}
