/**
 * Stages, modes, the floor and the configured policy.
 *
 * A policy gives each (stage, category) a mode. Configuration can raise any mode and disable heuristic rules, but
 * the floor is applied last: a configured mode below the floor is raised to it, and floor rules stay enabled.
 */
import { Config, ConfigError, Either, Schema } from "effect"
import { categories, type Category, type RuleId, ruleById } from "./Rules.ts"

export const Stage = Schema.Literal("inbound", "tool_output", "outbound", "tool_call")
export type Stage = typeof Stage.Type
export const stages: ReadonlyArray<Stage> = Stage.literals

/** `off` does not even look; `warn` reports; `redact` reports and replaces matches; `block` also stops the text. */
export const Mode = Schema.Literal("off", "warn", "redact", "block")
export type Mode = typeof Mode.Type
export const modeRank: Record<Mode, number> = { off: 0, warn: 1, redact: 2, block: 3 }
export const maxMode = (a: Mode, b: Mode): Mode => (modeRank[a] >= modeRank[b] ? a : b)

export type StageModes = Readonly<Record<Category, Mode>>

export interface SafetyPolicy {
  readonly stages: Readonly<Record<Stage, StageModes>>
  readonly disabledRules: ReadonlySet<RuleId>
}

/** What configuration can never go below. */
export const floor: Readonly<Record<Stage, StageModes>> = {
  inbound: { injection: "warn", secret: "redact", dangerous_command: "off" },
  tool_output: { injection: "warn", secret: "redact", dangerous_command: "off" },
  outbound: { injection: "off", secret: "redact", dangerous_command: "off" },
  tool_call: { injection: "off", secret: "redact", dangerous_command: "block" }
}

export const defaultPolicy: SafetyPolicy = { stages: floor, disabledRules: new Set() }

const StageOverrides = Schema.partial(Schema.Struct({ injection: Mode, secret: Mode, dangerous_command: Mode }))

/** The JSON form of `TAU_SAFETY_POLICY`: `{"stages": {"tool_output": {"injection": "block"}}, "disabledRules": […]}` */
export const PolicyOverrides = Schema.Struct({
  stages: Schema.optional(Schema.partial(Schema.Struct({
    inbound: StageOverrides,
    tool_output: StageOverrides,
    outbound: StageOverrides,
    tool_call: StageOverrides
  }))),
  disabledRules: Schema.optional(Schema.Array(Schema.String))
})
export type PolicyOverrides = typeof PolicyOverrides.Type

export type FloorAdjustment =
  | { readonly _tag: "ModeRaised"; readonly stage: Stage; readonly category: Category; readonly configured: Mode; readonly effective: Mode }
  | { readonly _tag: "RuleKeptEnabled"; readonly rule: RuleId }

export interface ResolvedPolicy {
  readonly policy: SafetyPolicy
  /** Where the floor overrode the configuration (logged as a warning when the Safety service starts). */
  readonly adjustments: ReadonlyArray<FloorAdjustment>
}

/**
 * Merge overrides (later ones win) over the default and apply the floor. Fails with the unknown rule ids, so a
 * typo in a disabled rule is a startup error rather than a silently enabled rule.
 */
export const resolvePolicy = (
  ...overrides: ReadonlyArray<PolicyOverrides>
): Either.Either<ResolvedPolicy, ReadonlyArray<string>> => {
  const adjustments: Array<FloorAdjustment> = []
  const unknown: Array<string> = []
  const disabled = new Set<RuleId>()
  const resolved = {} as Record<Stage, StageModes>
  for (const stage of stages) {
    const modes = {} as Record<Category, Mode>
    for (const category of categories) {
      let configured = defaultPolicy.stages[stage][category]
      for (const o of overrides) configured = o.stages?.[stage]?.[category] ?? configured
      const effective = maxMode(configured, floor[stage][category])
      if (effective !== configured) adjustments.push({ _tag: "ModeRaised", stage, category, configured, effective })
      modes[category] = effective
    }
    resolved[stage] = modes
  }
  for (const id of overrides.flatMap((o) => o.disabledRules ?? [])) {
    const rule = ruleById.get(id)
    if (rule === undefined) unknown.push(id)
    else if (rule.floor) adjustments.push({ _tag: "RuleKeptEnabled", rule: rule.id })
    else disabled.add(rule.id)
  }
  return unknown.length > 0
    ? Either.left(unknown)
    : Either.right({ policy: { stages: resolved, disabledRules: disabled }, adjustments })
}

const modeVariable = (stage: Stage, category: Category) =>
  Config.option(Config.literal(...Mode.literals)(`TAU_SAFETY_${stage.toUpperCase()}_${category.toUpperCase()}`))

const decodeOverrides = Schema.decodeEither(Schema.parseJson(PolicyOverrides))

/**
 * `TAU_SAFETY_POLICY` (JSON overrides), then `TAU_SAFETY_<STAGE>_<CATEGORY>` (e.g. `TAU_SAFETY_TOOL_OUTPUT_INJECTION=block`)
 * and `TAU_SAFETY_DISABLED_RULES` (comma-separated ids), then the floor.
 */
export const SafetyPolicyConfig: Config.Config<ResolvedPolicy> = Config.all({
  json: Config.option(Config.string("TAU_SAFETY_POLICY")),
  disabledRules: Config.option(Config.array(Config.string(), "TAU_SAFETY_DISABLED_RULES")),
  modes: Config.all(
    Object.fromEntries(stages.map((stage) => [stage, Config.all(Object.fromEntries(categories.map((c) => [c, modeVariable(stage, c)])))]))
  )
}).pipe(
  Config.mapOrFail(({ disabledRules, json, modes }) => {
    const fromJson = json._tag === "Some" ? decodeOverrides(json.value) : Either.right<PolicyOverrides>({})
    if (Either.isLeft(fromJson)) {
      return Either.left(ConfigError.InvalidData(["TAU_SAFETY_POLICY"], `invalid safety policy JSON: ${fromJson.left.message}`))
    }
    const fromVariables: PolicyOverrides = {
      stages: Object.fromEntries(
        stages.map((stage) => [
          stage,
          Object.fromEntries(categories.flatMap((c) => {
            const mode = modes[stage]?.[c]
            return mode !== undefined && mode._tag === "Some" ? [[c, mode.value]] : []
          }))
        ])
      ),
      disabledRules: disabledRules._tag === "Some" ? disabledRules.value.map((s) => s.trim()).filter((s) => s.length > 0) : []
    }
    return Either.mapLeft(
      resolvePolicy(fromJson.right, fromVariables),
      (unknown) => ConfigError.InvalidData(["TAU_SAFETY_DISABLED_RULES"], `unknown safety rule ids: ${unknown.join(", ")}`)
    )
  })
)
