/**
 * Importance and recency, computed at query time from the record and the clock (a read never rewrites a
 * record). Defaults follow the Rust runtime: a record idle for `staleAfter` keeps `decayRate` of its importance,
 * compounding; identity records do not decay. Pure.
 */
import type { MemoryKind } from "../../../events/catalogue/MemoryEvents.ts"

export const defaultImportance: Record<MemoryKind, number> = {
  identity: 1,
  goal: 0.9,
  decision: 0.85,
  preference: 0.7,
  fact: 0.65,
  learned_heuristic: 0.6,
  observation: 0.3
}

export interface ScoringSettings {
  readonly staleAfterMs: number
  readonly decayRate: number
  /** Recency halves every `recencyHalfLifeMs` of idle time. */
  readonly recencyHalfLifeMs: number
  /** Share of the final score decided by importance (the rest by relevance alone). */
  readonly importanceWeight: number
  readonly recencyWeight: number
}

const day = 86_400_000

export const defaultScoring: ScoringSettings = {
  staleAfterMs: 7 * day,
  decayRate: 0.9,
  recencyHalfLifeMs: 30 * day,
  importanceWeight: 0.5,
  recencyWeight: 0.2
}

const idle = (updatedAtMs: number, nowMs: number) => Math.max(0, nowMs - updatedAtMs)

export const effectiveImportance = (
  importance: number,
  kind: MemoryKind,
  updatedAtMs: number,
  nowMs: number,
  settings: ScoringSettings = defaultScoring
): number =>
  kind === "identity"
    ? importance
    : importance * Math.pow(settings.decayRate, idle(updatedAtMs, nowMs) / settings.staleAfterMs)

export const recency = (updatedAtMs: number, nowMs: number, settings: ScoringSettings = defaultScoring): number =>
  Math.pow(0.5, idle(updatedAtMs, nowMs) / settings.recencyHalfLifeMs)

/** Final score in [0, 1]: relevance scaled by importance and recency (both in [0, 1]). */
export const finalScore = (
  relevance: number,
  importance: number,
  recencyValue: number,
  settings: ScoringSettings = defaultScoring
): number =>
  relevance *
  (1 - settings.importanceWeight + settings.importanceWeight * importance) *
  (1 - settings.recencyWeight + settings.recencyWeight * recencyValue)
