/**
 * The retry policy: which failures are retried (LlmError.retryable) and how long to wait before retry n
 * (0-based): min(base * 2^n, cap), plus up to `jitter` of that at random, and never less than the server's
 * Retry-After. Doubling with jitter below 100 % keeps the delays non-decreasing until the cap.
 */
import { Duration } from "effect"
import type { RetrySettings } from "./Config.ts"

export const nominalDelayMs = (retry: number, settings: RetrySettings): number =>
  Math.min(Duration.toMillis(settings.baseDelay) * 2 ** Math.min(retry, 30), Duration.toMillis(settings.maxDelay))

/** Whole milliseconds; `random` is uniform in [0, 1). */
export const retryDelayMs = (
  retry: number,
  settings: RetrySettings,
  random: number,
  retryAfterMs?: number
): number => {
  const nominal = nominalDelayMs(retry, settings)
  const jittered = Math.max(nominal, Math.floor(nominal + nominal * settings.jitter * random))
  return Math.max(jittered, Math.ceil(retryAfterMs ?? 0))
}

interface HeaderSource {
  get(name: string): string | null
}

/** Retry-After as milliseconds from `nowMs`: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export const parseRetryAfter = (headers: HeaderSource | undefined, nowMs: number): number | undefined => {
  if (headers === undefined) return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return value
  }
  const after = headers.get("retry-after")
  if (after === null || after.trim() === "") return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}
