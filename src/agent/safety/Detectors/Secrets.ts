/**
 * Secret detectors: provider API keys, private keys, tokens and credentials in URLs and assignments.
 *
 * `(?<![A-Za-z0-9])` before a prefix keeps "task-…" from looking like "sk-…" and keeps scans linear.
 */
import { characterClasses, type Detector, entropy, looksGenerated, matchesOf, regexDetector, type Span } from "../Detectors.ts"

const NB = "(?<![A-Za-z0-9])"

export const openaiKey: Detector = regexDetector(
  new RegExp(`${NB}sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}`, "g"),
  // Only a bare `sk-` is ambiguous ("sk-learn-…" in prose); the longer prefixes are distinctive enough.
  { accept: (value) => /^sk-(?:proj|svcacct|admin|None)-/.test(value) || looksGenerated(value.slice(3)) }
)

export const anthropicKey: Detector = regexDetector(new RegExp(`${NB}sk-ant-[A-Za-z0-9_-]{20,}`, "g"))

export const awsAccessKeyId: Detector = regexDetector(
  new RegExp(`${NB}(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])`, "g")
)

/** A 40-character AWS secret access key is indistinguishable from any base64 run, so it needs its name nearby. */
export const awsSecretKey: Detector = regexDetector(
  /(?:aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key)["']?\s{0,4}[:=]\s{0,4}["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
  { group: "secret", accept: (value) => /[a-z]/.test(value) && /[A-Z]/.test(value) && /[0-9]/.test(value) }
)

export const githubToken: Detector = regexDetector(
  new RegExp(`${NB}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})`, "g")
)

export const gitlabToken: Detector = regexDetector(new RegExp(`${NB}(?:glpat|gloas|gldt|glrt|glptt)-[A-Za-z0-9_-]{20,}`, "g"))

export const slackToken: Detector = regexDetector(
  new RegExp(
    `${NB}xox[abposre]-[A-Za-z0-9-]{10,}|https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9_/-]{20,}`,
    "g"
  )
)

export const stripeKey: Detector = regexDetector(
  new RegExp(`${NB}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|${NB}whsec_[A-Za-z0-9]{24,}`, "g")
)

export const googleApiKey: Detector = regexDetector(
  new RegExp(`${NB}(?:AIza[0-9A-Za-z_-]{35}|GOCSPX-[0-9A-Za-z_-]{28})(?![0-9A-Za-z_-])`, "g")
)

export const huggingfaceToken: Detector = regexDetector(new RegExp(`${NB}hf_[A-Za-z0-9]{30,}`, "g"))

export const npmToken: Detector = regexDetector(new RegExp(`${NB}npm_[A-Za-z0-9]{36,}`, "g"))

export const jwt: Detector = regexDetector(
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g
)

/** `Authorization: Bearer …` (any scheme), or a bare `Bearer <token>` that looks generated. */
const headerToken: Detector = regexDetector(
  /(?:authorization|proxy-authorization)["']?\s{0,4}[:=]\s{0,4}["']?(?:bearer|basic|token|bot|digest)\s{1,4}(?<secret>[A-Za-z0-9._~+/=-]{8,})/dgi,
  { group: "secret" }
)
const bareBearer: Detector = regexDetector(/(?<![A-Za-z0-9])bearer\s{1,4}(?<secret>[A-Za-z0-9._~+/=-]{16,})/dgi, {
  group: "secret",
  accept: (value) => looksGenerated(value)
})
export const bearerToken: Detector = (text) => [...headerToken(text), ...bareBearer(text)]

/** `scheme://user:password@host`: only the password is replaced, so the URL stays readable. */
export const urlPassword: Detector = regexDetector(
  /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}:\/\/[^\s:/?#@'"<>]{0,128}:(?<secret>[^\s/?#@'"<>]+)@/dg,
  { group: "secret", accept: (value) => !/^\$\{?[A-Za-z_]+\}?$/.test(value) }
)

const BEGIN = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----/g
const END = /-----END (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----/y
const PEM_BODY_LINE = /[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z-]{1,32}: ?[^\n]{0,256})?[ \t]*(?:\r?\n|$)/y

/**
 * A PEM private key block. A block cut short (a truncated tool output) is still redacted up to the end of its
 * base64 body, so a key never leaks just because its END line did not fit.
 */
export const privateKey: Detector = (text) => {
  const spans: Array<Span> = []
  // Cached positions of the next END/BEGIN line keep many unterminated BEGIN lines linear.
  let nextEnd = -2
  let nextBegin = -2
  for (const begin of matchesOf(BEGIN, text)) {
    const start = begin.index
    if (spans.length > 0 && start < spans[spans.length - 1]!.end) continue
    let pos = start + begin[0].length
    if (nextEnd !== -1 && nextEnd < pos) nextEnd = text.indexOf("-----END ", pos)
    if (nextBegin !== -1 && nextBegin < pos) nextBegin = text.indexOf("-----BEGIN ", pos)
    let endAt = -1
    if (nextEnd >= 0 && (nextBegin < 0 || nextEnd < nextBegin)) {
      END.lastIndex = nextEnd
      const end = END.exec(text)
      if (end !== null) endAt = nextEnd + end[0].length
    }
    if (endAt < 0) {
      if (text[pos] === "\r") pos++
      if (text[pos] === "\n") pos++
      for (;;) {
        PEM_BODY_LINE.lastIndex = pos
        const line = PEM_BODY_LINE.exec(text)
        if (line === null || line[0].length === 0) break
        pos += line[0].length
      }
      endAt = pos
    }
    spans.push({ start, end: endAt })
  }
  return spans
}

const SECRET_NAME = String.raw`(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?)`
// The name must end in a secret word inside the pattern itself: rejecting other names after matching would let a
// non-secret match swallow the secret assignment that follows it ("A: DB_PASSWORD=…").
const GENERIC = new RegExp(
  String.raw`(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}?${SECRET_NAME}["']?\s{0,4}(?::=|=>|:|=)\s{0,4}(?:"(?<dq>[^"\s\\]{8,})"|'(?<sq>[^'\s\\]{8,})'|(?<bare>[^\s"'\`,;{}()[\]<>]{8,}))`,
  "dgi"
)
const PLACEHOLDER = /^(?:\$|%|\{|<|\*+$|x+$|\.\.\.|changeme$|your[_-]|example|redacted|null$|none$|true$|false$|undefined$)/i
const CODE_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$|[()[\]]/

/**
 * `name = value` where the name ends in password/secret/token/api key… and the value looks generated. This is the
 * noisiest secret rule, so it is conservative: references (`$VAR`, `os.environ…`, `config.password`), placeholders
 * and low-entropy values are left alone.
 */
export const genericSecretAssignment: Detector = (text) => {
  const spans: Array<Span> = []
  for (const match of matchesOf(GENERIC, text)) {
    for (const group of ["dq", "sq", "bare"] as const) {
      const value = match.groups?.[group]
      const range = match.indices?.groups?.[group]
      if (value === undefined || range === undefined) continue
      if (PLACEHOLDER.test(value) || CODE_REFERENCE.test(value) || value.includes("[REDACTED:")) break
      if (!looksLikeSecretValue(value)) break
      spans.push({ start: range[0], end: range[1] })
    }
  }
  return spans
}

const looksLikeSecretValue = (value: string): boolean => {
  const alnum = value.replace(/[^A-Za-z0-9]/g, "").length
  return alnum >= 6 && entropy(value) >= 3 && characterClasses(value) >= 2
}

