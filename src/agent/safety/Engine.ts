/**
 * The pure core of the Safety service: a policy turned into `inspect`, `redact` and `redactDeep`. No Effect here,
 * so the session actor's decider and tests can use it directly.
 */
import { unchecked } from "../../domain/Unchecked.ts"
import { SafetyDecision, type SafetyAction } from "./Decision.ts"
import { modeRank, type SafetyPolicy, type Stage, stages } from "./Policy.ts"
import { applyRedactions, type Finding, redactDeep } from "./Redaction.ts"
import { type Rule, rules as catalogue, type Severity, severityRank } from "./Rules.ts"

export interface SafetyEngine {
  readonly policy: SafetyPolicy
  readonly inspect: (stage: Stage, text: string) => SafetyDecision
  /** Always-on secret redaction (every enabled secret rule, whatever the stage modes). Idempotent. */
  readonly redact: (text: string) => string
  /** `redact` applied to every string and key of a JSON value. */
  readonly redactDeep: <A>(value: A) => A
}

const actionRank: Record<SafetyAction, number> = { allow: 0, warn: 1, redact: 2, block: 3 }

/** Redacting can, in principle, expose a new match at the edge of a marker; repeating until stable closes that. */
const MAX_PASSES = 8

/** Strings up to this length have their redaction memoised, in at most MEMO_ENTRIES entries. */
const MEMO_MAX_LENGTH = 1024
const MEMO_ENTRIES = 4096

const detect = (rules: ReadonlyArray<Rule>, text: string): Array<Finding> => {
  const findings: Array<Finding> = []
  for (const rule of rules) {
    // Most texts match nothing: the set of spans seen is made only for a rule that matched.
    let seen: Set<string> | undefined
    for (const span of rule.detect(text)) {
      const key = `${span.start}:${span.end}`
      seen ??= new Set<string>()
      if (seen.has(key)) continue
      seen.add(key)
      findings.push({ ruleId: rule.id, start: span.start, end: span.end })
    }
  }
  return findings
}

export const makeSafetyEngine = (policy: SafetyPolicy, ruleSet: ReadonlyArray<Rule> = catalogue): SafetyEngine => {
  const enabled = ruleSet.filter((r) => r.floor || !policy.disabledRules.has(r.id))
  const secretRules = enabled.filter((r) => r.category === "secret")
  const byId = new Map(enabled.map((r) => [r.id as string, r]))

  // Event field names, ids, tags and model names recur in every event, and every new session's SessionStarted
  // carries the same system prompt: redacting them again would rerun every secret rule on the same strings.
  // The memo is exact (redaction is a pure function of the text).
  const memo = new Map<string, string>()
  const redact = (text: string): string => {
    if (text.length > MEMO_MAX_LENGTH) return redactUncached(text)
    const known = memo.get(text)
    if (known !== undefined) return known
    const result = redactUncached(text)
    if (memo.size >= MEMO_ENTRIES) memo.clear()
    memo.set(text, result)
    return result
  }

  const redactUncached = (text: string): string => {
    let current = text
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const next = applyRedactions(current, detect(secretRules, current))
      if (next === current) return current
      current = next
    }
    return current
  }

  const activeByStage = new Map(
    stages.map((stage) => [stage, enabled.filter((r) => policy.stages[stage][r.category] !== "off")] as const)
  )

  const inspect = (stage: Stage, text: string): SafetyDecision => {
    const modes = policy.stages[stage]
    const active = activeByStage.get(stage)!
    const findings = detect(active, text)
    let action: SafetyAction = "allow"
    let severity: Severity | null = null
    if (findings.length === 0) return unchecked(SafetyDecision, { stage, action: "allow", rules: [], matches: 0, severity: null, text })
    const matched = new Set<string>()
    const toRedact: Array<Finding> = []
    for (const finding of findings) {
      const rule = byId.get(finding.ruleId)!
      const mode = modes[rule.category]
      if (mode !== "off" && modeRank[mode] > actionRank[action]) action = mode
      if (severity === null || severityRank[rule.severity] > severityRank[severity]) severity = rule.severity
      if (modeRank[mode] >= modeRank.redact) toRedact.push(finding)
      matched.add(rule.id)
    }
    const passed = toRedact.length > 0 ? redact(applyRedactions(text, toRedact)) : text
    // Every field comes from the policy and the catalogue above: the constructor need not validate them again.
    return unchecked(SafetyDecision, {
      stage,
      action,
      rules: matched.size === 0 ? [] : active.filter((r) => matched.has(r.id)).map((r) => r.id),
      matches: findings.length,
      severity,
      text: passed
    })
  }

  return { policy, inspect, redact, redactDeep: (value) => redactDeep(value, redact) }
}
