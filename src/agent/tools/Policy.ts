/**
 * Tool policy: the limits every tool call runs under. A policy is plain data (a Schema.Class) so it can be
 * logged, compared and recorded; a preset is chosen with `TAU_TOOL_POLICY` and individual fields can be
 * overridden through configuration (see docs/tools.md for the table and the variable names).
 */
import { Config, Context, Effect, Layer, Option, Schema } from "effect"

export const PresetName = Schema.Literal("permissive", "balanced", "strict")
export type PresetName = typeof PresetName.Type

const PositiveInt = Schema.Int.pipe(Schema.positive())

export class ToolPolicy extends Schema.Class<ToolPolicy>("ToolPolicy")({
  preset: PresetName,
  /** Bytes read_file returns at most (and the largest file edit_file will load). */
  maxReadBytes: PositiveInt,
  /** Largest content write_file / edit_file may write. */
  maxWriteBytes: PositiveInt,
  /** Cap on the output of run_command and every other tool except read_file. */
  maxOutputBytes: PositiveInt,
  /** Timeout of a tool call other than run_command. */
  toolTimeoutMs: PositiveInt,
  /** Default and maximum timeout of run_command. */
  commandTimeoutMs: PositiveInt,
  maxCommandLength: PositiveInt,
  allowNewlinesInCommands: Schema.Boolean,
  /** Executables a command may start (every segment of a pipeline or list); null means any. */
  commandAllowlist: Schema.NullOr(Schema.Array(Schema.String)),
  /** Executables that are refused under every preset. */
  commandDenylist: Schema.Array(Schema.String),
  /** Environment variables passed to run_command; nothing else from the process environment is. */
  envAllowlist: Schema.Array(Schema.String),
  /** Patterns of paths that file tools may not write (see Workspace.isProtected for the syntax). */
  protectedPaths: Schema.Array(Schema.String),
  allowProtectedWrites: Schema.Boolean,
  maxGrepMatches: PositiveInt,
  maxGlobResults: PositiveInt,
  maxListEntries: PositiveInt,
  /** Files and directories glob/grep/list_dir visit before they stop (bounds the cost of a huge tree). */
  maxScanEntries: PositiveInt
}) {}

const BalancedCommands = [
  "awk", "cat", "cp", "cut", "diff", "du", "echo", "env", "false", "fd", "file", "find", "git", "grep", "head", "ls",
  "mkdir", "mv", "node", "npm", "npx", "printf", "pwd", "rg", "rm", "sed", "sleep", "sort", "stat", "tail", "tee",
  "test", "touch", "tr", "true", "tsc", "uniq", "wc", "which", "xargs"
]
const StrictRemoved = new Set(["cp", "git", "mkdir", "mv", "node", "npm", "npx", "rm", "sleep", "tee", "touch", "tsc"])

export const DefaultCommandDenylist: ReadonlyArray<string> = [
  "sudo", "su", "doas", "pkexec", "mkfs", "fdisk", "dd", "shutdown", "reboot", "halt", "poweroff", "init", "systemctl",
  "chown", "mount", "umount", "iptables", "crontab"
]

export const DefaultEnvAllowlist: ReadonlyArray<string> = [
  "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "TMPDIR"
]

export const DefaultProtectedPaths: ReadonlyArray<string> = [
  ".git", ".tau", ".env", ".env.*", "*.pem", "id_rsa*", "id_ed25519*", "/AGENTS.md", "/SOUL.md", "/USER.md"
]

const common = {
  commandDenylist: DefaultCommandDenylist,
  envAllowlist: DefaultEnvAllowlist,
  protectedPaths: DefaultProtectedPaths,
  allowProtectedWrites: false
}

/** The three presets; `balanced` is the default. Numbers follow the Rust Tau presets (docs/tools.md). */
export const Presets: Readonly<Record<PresetName, ToolPolicy>> = {
  permissive: ToolPolicy.make({
    ...common,
    preset: "permissive",
    maxReadBytes: 2_000_000,
    maxWriteBytes: 2_000_000,
    maxOutputBytes: 32_000,
    toolTimeoutMs: 60_000,
    commandTimeoutMs: 180_000,
    maxCommandLength: 8_192,
    allowNewlinesInCommands: true,
    commandAllowlist: null,
    maxGrepMatches: 500,
    maxGlobResults: 2_000,
    maxListEntries: 2_000,
    maxScanEntries: 100_000
  }),
  balanced: ToolPolicy.make({
    ...common,
    preset: "balanced",
    maxReadBytes: 1_000_000,
    maxWriteBytes: 1_000_000,
    maxOutputBytes: 16_000,
    toolTimeoutMs: 30_000,
    commandTimeoutMs: 120_000,
    maxCommandLength: 4_096,
    allowNewlinesInCommands: false,
    commandAllowlist: BalancedCommands,
    maxGrepMatches: 200,
    maxGlobResults: 1_000,
    maxListEntries: 1_000,
    maxScanEntries: 50_000
  }),
  strict: ToolPolicy.make({
    ...common,
    preset: "strict",
    maxReadBytes: 750_000,
    maxWriteBytes: 750_000,
    maxOutputBytes: 8_000,
    toolTimeoutMs: 15_000,
    commandTimeoutMs: 90_000,
    maxCommandLength: 2_048,
    allowNewlinesInCommands: false,
    commandAllowlist: BalancedCommands.filter((c) => !StrictRemoved.has(c)),
    maxGrepMatches: 100,
    maxGlobResults: 500,
    maxListEntries: 500,
    maxScanEntries: 20_000
  })
}

const list = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Config.map(Option.map((s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)))
  )
const int = (name: string) => Config.option(Config.integer(name).pipe(Config.validate({
  message: "must be a positive integer",
  validation: (n) => n > 0
})))

/**
 * Reads the policy: `TAU_TOOL_POLICY` picks the preset (default balanced), then each `TAU_TOOL_*`
 * variable that is set overrides one field. `TAU_TOOL_ALLOWED_COMMANDS=*` removes the allowlist; the
 * denylist, protected paths and environment allowlist variables add to the preset's lists.
 */
export const loadToolPolicy = Effect.gen(function*() {
  const preset = yield* Config.literal("permissive", "balanced", "strict")("TAU_TOOL_POLICY").pipe(
    Config.withDefault("balanced" as const)
  )
  const base = Presets[preset]
  const o = yield* Config.all({
    maxReadBytes: int("TAU_TOOL_MAX_READ_BYTES"),
    maxWriteBytes: int("TAU_TOOL_MAX_WRITE_BYTES"),
    maxOutputBytes: int("TAU_TOOL_MAX_OUTPUT_BYTES"),
    toolTimeoutMs: int("TAU_TOOL_TIMEOUT_MS"),
    commandTimeoutMs: int("TAU_TOOL_COMMAND_TIMEOUT_MS"),
    allowed: list("TAU_TOOL_ALLOWED_COMMANDS"),
    denied: list("TAU_TOOL_DENIED_COMMANDS"),
    protectedPaths: list("TAU_TOOL_PROTECTED_PATHS"),
    env: list("TAU_TOOL_ENV_ALLOWLIST"),
    allowProtected: Config.option(Config.boolean("TAU_ALLOW_PROTECTED_PATH_MUTATIONS"))
  })
  return ToolPolicy.make({
    ...base,
    maxReadBytes: Option.getOrElse(o.maxReadBytes, () => base.maxReadBytes),
    maxWriteBytes: Option.getOrElse(o.maxWriteBytes, () => base.maxWriteBytes),
    maxOutputBytes: Option.getOrElse(o.maxOutputBytes, () => base.maxOutputBytes),
    toolTimeoutMs: Option.getOrElse(o.toolTimeoutMs, () => base.toolTimeoutMs),
    commandTimeoutMs: Option.getOrElse(o.commandTimeoutMs, () => base.commandTimeoutMs),
    commandAllowlist: Option.match(o.allowed, {
      onNone: () => base.commandAllowlist,
      onSome: (names) => (names.includes("*") ? null : names)
    }),
    commandDenylist: [...base.commandDenylist, ...Option.getOrElse(o.denied, () => [])],
    protectedPaths: [...base.protectedPaths, ...Option.getOrElse(o.protectedPaths, () => [])],
    envAllowlist: [...base.envAllowlist, ...Option.getOrElse(o.env, () => [])],
    allowProtectedWrites: Option.getOrElse(o.allowProtected, () => base.allowProtectedWrites)
  })
})

/** The policy the tool registry enforces. */
export class CurrentToolPolicy extends Context.Tag("app/agent/tools/CurrentToolPolicy")<CurrentToolPolicy, ToolPolicy>() {
  static readonly layerConfig = Layer.effect(CurrentToolPolicy, loadToolPolicy)
  static readonly layer = (policy: ToolPolicy) => Layer.succeed(CurrentToolPolicy, policy)
}
