/**
 * The diff report of a counterfactual rescoring: how the composite of the same sessions moves from one evaluator
 * configuration to another. Pure.
 */
export interface ScoredSession {
  readonly sessionId: string
  readonly composite: number
  readonly dimensions: Readonly<Record<string, number>>
}

export interface SignFlip {
  readonly sessionId: string
  readonly before: number
  readonly after: number
}

export interface DimensionShift {
  readonly dimension: string
  /** Sessions where both versions have the dimension. */
  readonly sessions: number
  readonly meanBefore: number
  readonly meanAfter: number
  readonly meanShift: number
  /** Sessions where only one of the two has a signal for it. */
  readonly presenceChanged: number
}

export interface RescoreDiff {
  /** Sessions scored by both versions. */
  readonly sessions: number
  readonly onlyBefore: number
  readonly onlyAfter: number
  readonly meanBefore: number
  readonly meanAfter: number
  readonly meanShift: number
  readonly meanAbsoluteShift: number
  /** Spearman rank correlation of the composites (average ranks for ties); 1 when fewer than 2 sessions. */
  readonly spearman: number
  /** Sessions whose composite changed sign (positive ↔ negative; zero counts as neither). */
  readonly signFlips: ReadonlyArray<SignFlip>
  readonly dimensions: ReadonlyArray<DimensionShift>
}

/** Average ranks (1-based), ties sharing the mean of their positions. */
export const ranks = (values: ReadonlyArray<number>): Array<number> => {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!)
  const out = new Array<number>(values.length)
  let i = 0
  while (i < order.length) {
    let j = i
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) out[order[k]!] = rank
    i = j + 1
  }
  return out
}

/** Pearson correlation of the ranks. Two constant sequences are perfectly correlated only if both are constant. */
export const spearman = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number => {
  const n = xs.length
  if (n < 2) return 1
  const rx = ranks(xs)
  const ry = ranks(ys)
  const mean = (n + 1) / 2
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean
    const dy = ry[i]! - mean
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return sxx === syy ? 1 : 0
  return sxy / Math.sqrt(sxx * syy)
}

const mean = (values: ReadonlyArray<number>): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length

export const rescoreDiff = (
  before: ReadonlyArray<ScoredSession>,
  after: ReadonlyArray<ScoredSession>
): RescoreDiff => {
  const afterById = new Map(after.map((s) => [s.sessionId, s]))
  const beforeIds = new Set(before.map((s) => s.sessionId))
  const pairs: Array<readonly [ScoredSession, ScoredSession]> = []
  for (const b of before) {
    const a = afterById.get(b.sessionId)
    if (a !== undefined) pairs.push([b, a])
  }
  const xs = pairs.map(([b]) => b.composite)
  const ys = pairs.map(([, a]) => a.composite)
  const signFlips: Array<SignFlip> = []
  for (const [b, a] of pairs) {
    if (b.composite * a.composite < 0) signFlips.push({ sessionId: b.sessionId, before: b.composite, after: a.composite })
  }
  const names = new Set<string>()
  for (const [b, a] of pairs) for (const d of [...Object.keys(b.dimensions), ...Object.keys(a.dimensions)]) names.add(d)
  const dimensions = [...names].sort().map((dimension): DimensionShift => {
    const bs: Array<number> = []
    const as: Array<number> = []
    let presenceChanged = 0
    for (const [b, a] of pairs) {
      const x = b.dimensions[dimension]
      const y = a.dimensions[dimension]
      if (x !== undefined && y !== undefined) {
        bs.push(x)
        as.push(y)
      } else if (x !== undefined || y !== undefined) presenceChanged++
    }
    const meanBefore = mean(bs)
    const meanAfter = mean(as)
    return { dimension, sessions: bs.length, meanBefore, meanAfter, meanShift: meanAfter - meanBefore, presenceChanged }
  })
  const meanBefore = mean(xs)
  const meanAfter = mean(ys)
  return {
    sessions: pairs.length,
    onlyBefore: before.length - pairs.length,
    onlyAfter: after.filter((s) => !beforeIds.has(s.sessionId)).length,
    meanBefore,
    meanAfter,
    meanShift: meanAfter - meanBefore,
    meanAbsoluteShift: mean(pairs.map(([b, a]) => Math.abs(a.composite - b.composite))),
    spearman: spearman(xs, ys),
    signFlips,
    dimensions
  }
}
