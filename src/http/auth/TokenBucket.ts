/**
 * A token bucket as a pure function of time: `burst` tokens at most, refilled at `rps` per second, one per
 * request. Over any window of w seconds it allows at most burst + rps × w requests, and a refused request learns
 * exactly how long until the next token (`retryAfterMs`, rounded up to whole milliseconds).
 */

export interface BucketLimits {
  /** Tokens per second (> 0). */
  readonly rps: number
  /** Capacity (>= 1). */
  readonly burst: number
}

export interface Bucket {
  readonly tokens: number
  /** Millis of the last update. */
  readonly at: number
}

export type TakeResult = { readonly _tag: "Allowed" } | { readonly _tag: "Limited"; readonly retryAfterMs: number }

export const allowed: TakeResult = { _tag: "Allowed" }

// Absorb floating-point error: `retryAfterMs` is rounded up only past a token shortfall of `epsilon`, and a
// request is allowed from 1 − 2 × epsilon tokens, so waiting exactly `retryAfterMs` always finds the token there.
const epsilon = 1e-9

/** The bucket's tokens at `now` (a clock that went backwards refills nothing). */
export const tokensAt = (bucket: Bucket | undefined, now: number, limits: BucketLimits): number =>
  bucket === undefined
    ? limits.burst
    : Math.min(limits.burst, bucket.tokens + Math.max(0, now - bucket.at) * limits.rps / 1000)

/** One request at `now`: the bucket afterwards and whether the request may go ahead. */
export const take = (
  bucket: Bucket | undefined,
  now: number,
  limits: BucketLimits
): { readonly bucket: Bucket; readonly result: TakeResult } => {
  const at = Math.max(now, bucket?.at ?? now)
  const tokens = tokensAt(bucket, at, limits)
  if (tokens >= 1 - 2 * epsilon) return { bucket: { tokens: tokens - 1, at }, result: allowed }
  return {
    bucket: { tokens, at },
    result: { _tag: "Limited", retryAfterMs: Math.max(1, Math.ceil((1 - epsilon - tokens) * 1000 / limits.rps)) }
  }
}

/** Whether the bucket is full at `now`, i.e. no different from a bucket never used (so it can be forgotten). */
export const isFull = (bucket: Bucket, now: number, limits: BucketLimits): boolean =>
  tokensAt(bucket, now, limits) >= limits.burst
