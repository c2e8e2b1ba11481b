/**
 * The redaction format and the two redactors built on it: spans of one text, and every string (and key) of a
 * JSON value. The session actor runs each event's encoded data through `redactDeep` before append.
 */
import type { Span } from "./Detectors.ts"
import type { RuleId } from "./Rules.ts"

export interface Finding extends Span {
  readonly ruleId: RuleId
}

/** What replaces a match: names the rule, never the content. Markers are never matched again by any rule. */
export const marker = (ruleId: RuleId): string => `[REDACTED:${ruleId}]`

/**
 * Replace every finding by its marker. Overlapping findings merge into one marker, named after the finding that
 * starts first (the longest, if several start together).
 */
export const applyRedactions = (text: string, findings: ReadonlyArray<Finding>): string => {
  if (findings.length === 0) return text
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end)
  let out = ""
  let cursor = 0
  let i = 0
  while (i < sorted.length) {
    const first = sorted[i]!
    let end = first.end
    i++
    while (i < sorted.length && sorted[i]!.start < end) {
      end = Math.max(end, sorted[i]!.end)
      i++
    }
    out += text.slice(cursor, first.start) + marker(first.ruleId)
    cursor = end
  }
  return out + text.slice(cursor)
}

/**
 * Redact every string of a JSON-like value, object keys included (a key that redacts to an existing key gets a
 * `#n` suffix instead of overwriting it). Numbers, booleans, null and other leaves are returned as they are.
 * Meant for the encoded (JSON) form of an event, which has no cycles. Nothing to redact → the very same value
 * (callers test `result === value` to skip work); otherwise only the arrays and objects on a changed path are
 * rebuilt.
 */
export const redactDeep = <A>(value: A, redactString: (s: string) => string): A => go(value, redactString) as A

const go = (value: unknown, redactString: (s: string) => string): unknown => {
  if (typeof value === "string") return redactString(value)
  if (Array.isArray(value)) {
    let out: Array<unknown> | undefined
    for (let i = 0; i < value.length; i++) {
      const v = go(value[i], redactString)
      if (out === undefined && v !== value[i]) out = value.slice(0, i)
      if (out !== undefined) out.push(v)
    }
    return out ?? value
  }
  if (value === null || typeof value !== "object" || value instanceof Date) return value
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  // Nothing changes in the common case: entries are copied only from the first key or value that does.
  let redacted: Array<readonly [string, string, unknown]> | undefined
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const v = record[key]
    const k = redactString(key)
    const w = go(v, redactString)
    if (redacted === undefined && (k !== key || w !== v)) {
      redacted = keys.slice(0, i).map((same) => [same, same, record[same]] as const)
    }
    if (redacted !== undefined) redacted.push([key, k, w])
  }
  if (redacted === undefined) return value
  const out: Record<string, unknown> = {}
  for (const [key, redactedKey, v] of redacted) {
    let k = redactedKey
    for (let n = 2; k !== key && Object.hasOwn(out, k); n++) k = `${redactedKey}#${n}`
    out[k] = v
  }
  return out
}
