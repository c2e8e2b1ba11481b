/**
 * Bounded numbers shared by events and the learning code. Every number that reaches the log is finite,
 * so an encoded event is always valid JSON.
 */
import { Schema } from "effect"

/** A signed score: rewards, ratings, effects. */
export const Score = Schema.Number.pipe(Schema.between(-1, 1))
export type Score = typeof Score.Type

/** A fraction or probability in [0, 1]: importance, confidence, thresholds. */
export const UnitInterval = Schema.Number.pipe(Schema.between(0, 1))
export type UnitInterval = typeof UnitInterval.Type

/** 1-based index of an agent-loop turn (one model call and the tool calls it asked for) within a session. */
export const Turn = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))
export type Turn = typeof Turn.Type

export const Count = Schema.NonNegativeInt
export type Count = typeof Count.Type

/** A duration in whole milliseconds. */
export const Millis = Schema.NonNegativeInt
export type Millis = typeof Millis.Type

/** An amount of money in US dollars. */
export const Usd = Schema.NonNegative.pipe(Schema.finite())
export type Usd = typeof Usd.Type

/** A finite real number (JSON has no NaN or Infinity). */
export const Real = Schema.Finite
export type Real = typeof Real.Type

/** A delay for setTimeout: at most the longest one it takes (a longer one would fire at once). */
export const timerDelay = (ms: number): number => Math.min(ms, 2_147_483_647)
