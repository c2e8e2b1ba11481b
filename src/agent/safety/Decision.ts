/**
 * What an inspection returns. It is safe to log and to store in events as it is: it holds rule ids, counts and the
 * text to pass on (already redacted), never a matched secret.
 */
import { Schema } from "effect"
import { Stage } from "./Policy.ts"
import { RuleId, Severity } from "./Rules.ts"

export const SafetyAction = Schema.Literal("allow", "warn", "redact", "block")
export type SafetyAction = typeof SafetyAction.Type

export class SafetyDecision extends Schema.Class<SafetyDecision>("SafetyDecision")({
  stage: Stage,
  action: SafetyAction,
  /** Ids of the rules that matched, in catalogue order, each once. */
  rules: Schema.Array(RuleId),
  /** Number of matches over all rules. */
  matches: Schema.Int,
  /** The highest severity among the matched rules; null when nothing matched. */
  severity: Schema.NullOr(Severity),
  /** The text to pass on: the input with every match of a redact- or block-mode category replaced by its marker. */
  text: Schema.String
}) {}
