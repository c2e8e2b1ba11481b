/**
 * What a detector is, and the helpers every detector family shares.
 *
 * Every pattern here must run in linear time on any input: runs that start with a token-class prefix are anchored
 * with a negative lookbehind so only the first position of a run can start a match, and every window between two
 * parts of a phrase is bounded. `test/agent/safety/Adversarial.test.ts` holds the proof by example.
 */

/** A half-open range `[start, end)` of the inspected text that a rule matched (and that redaction replaces). */
export interface Span {
  readonly start: number
  readonly end: number
}

export type Detector = (text: string) => ReadonlyArray<Span>

/** Redaction markers are never matches: this is what makes redaction idempotent. */
export const MARKER_PATTERN = /\[REDACTED:[a-z_]+\.[a-z0-9_]+\]/g

export const containsMarker = (s: string): boolean => s.includes("[REDACTED:")

export interface RegexDetectorOptions {
  /** Redact only this named group (the pattern needs the `d` flag); the rest of the match is context. */
  readonly group?: string
  /** Reject a match (false-positive control); receives the matched (or group) text and the whole match. */
  readonly accept?: (value: string, match: RegExpExecArray) => boolean
}

/**
 * The matches of a global pattern, as `text.matchAll(pattern)` gives them, found with `exec` on the pattern itself:
 * matchAll copies the pattern on every call, which cost several times more than matching a short text (every rule
 * runs on every inspected text).
 */
export const matchesOf = (pattern: RegExp, text: string): Array<RegExpExecArray> => {
  const found: Array<RegExpExecArray> = []
  pattern.lastIndex = 0
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    found.push(match)
    if (match[0].length === 0) pattern.lastIndex = afterEmptyMatch(text, pattern)
  }
  pattern.lastIndex = 0
  return found
}

/** Where matching goes on after an empty match (ECMAScript's AdvanceStringIndex). */
const afterEmptyMatch = (text: string, pattern: RegExp): number => {
  const at = pattern.lastIndex
  const unicode = /[uv]/.test(pattern.flags)
  const code = text.charCodeAt(at)
  return unicode && code >= 0xd800 && code <= 0xdbff && at + 1 < text.length ? at + 2 : at + 1
}

export const regexDetector = (pattern: RegExp, options: RegexDetectorOptions = {}): Detector => {
  if (!pattern.global) throw new Error(`detector pattern must be global: ${pattern.source}`)
  if (options.group !== undefined && !pattern.hasIndices) {
    throw new Error(`detector pattern with a group needs the d flag: ${pattern.source}`)
  }
  return (text) => {
    const spans: Array<Span> = []
    for (const match of matchesOf(pattern, text)) {
      let start = match.index
      let end = start + match[0].length
      let value = match[0]
      if (options.group !== undefined) {
        const range = match.indices?.groups?.[options.group]
        const groupValue = match.groups?.[options.group]
        if (range === undefined || groupValue === undefined) continue
        ;[start, end] = range
        value = groupValue
      }
      if (end <= start || containsMarker(value)) continue
      if (options.accept !== undefined && !options.accept(value, match)) continue
      spans.push({ start, end })
    }
    return spans
  }
}

/** Shannon entropy in bits per character. */
export const entropy = (s: string): number => {
  if (s.length === 0) return 0
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) {
    const p = n / s.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/** How many of lower case, upper case, digits and other characters occur in `s`. */
export const characterClasses = (s: string): number =>
  (/[a-z]/.test(s) ? 1 : 0) + (/[A-Z]/.test(s) ? 1 : 0) + (/[0-9]/.test(s) ? 1 : 0) + (/[^A-Za-z0-9]/.test(s) ? 1 : 0)

/**
 * A key body that looks generated rather than written: at least two of lower/upper/digit, and few separators
 * (prose such as "sk-learn-release-notes" is mostly lower case words joined by hyphens).
 */
export const looksGenerated = (body: string): boolean => {
  const alnum = body.replace(/[^A-Za-z0-9]/g, "")
  const kinds = (/[a-z]/.test(alnum) ? 1 : 0) + (/[A-Z]/.test(alnum) ? 1 : 0) + (/[0-9]/.test(alnum) ? 1 : 0)
  return kinds >= 2 && (body.length - alnum.length) / body.length <= 0.15
}
