/**
 * Secret redaction for text that reaches a client while the model is still writing it. The whole text so far is
 * redacted each time (so a secret keeps its context: a `Bearer` before a token, a PEM `BEGIN` line before its
 * body), and only the redacted text older than the last `hold` characters is released: a secret is decided
 * within that distance (token patterns need 8–40 characters), so what was released stays a prefix of what a
 * later redaction of more text gives. Patterns that need more than `hold` characters to decide (a JWT whose first
 * segment is longer) can show their start. `end` releases the rest.
 */

export interface StreamRedactor {
  /** Adds model text; returns the redacted text now safe to release (possibly empty). */
  readonly push: (text: string) => string
  /** The model finished: the redacted rest. */
  readonly end: () => string
}

/** Characters held back by default: more than any secret rule needs to decide (see Detectors/Secrets.ts). */
export const defaultHold = 64

/** Recomputing the redaction only after this much new text keeps the cost near linear in the reply's length. */
const MIN_STEP = 32

export const makeStreamRedactor = (redact: (text: string) => string, hold: number = defaultHold): StreamRedactor => {
  let raw = ""
  let released = 0
  let sinceLast = 0

  const releasable = (redacted: string, upTo: number): string => {
    // Released text is never taken back: if a redaction now covers part of it (a pattern that needed more than
    // `hold` characters), release only what follows it.
    const out = upTo > released ? redacted.slice(released, upTo) : ""
    released = Math.max(released, upTo)
    return out
  }

  return {
    push: (text) => {
      raw += text
      sinceLast += text.length
      if (sinceLast < MIN_STEP) return ""
      sinceLast = 0
      const redacted = redact(raw)
      return releasable(redacted, redacted.length - hold)
    },
    end: () => {
      const redacted = redact(raw)
      return releasable(redacted, redacted.length)
    }
  }
}
