/**
 * Session actor configuration, read with effect Config. Every value has a default.
 */
import type { Option } from "effect";
import { Config, Duration } from "effect"
import { defaultAlertThresholds } from "./Budget.ts"
import { defaultCompaction } from "./Compaction.ts"
import type { DeciderSettings } from "./State.ts"

export interface SessionSettings {
  readonly decider: DeciderSettings
  /** Turns of one user message's run (TAU_MAX_TURNS). */
  readonly maxTurns: number
  readonly maxParallelTools: number
  /** Budget of a new session in US dollars (TAU_SESSION_BUDGET_USD); none by default. */
  readonly budgetUsd: Option.Option<number>
  /** An actor with nothing to do stops after this long; its state is rebuilt from the log on the next command. */
  readonly passivateAfter: Duration.Duration
  /**
   * At most this many actors stay in memory (TAU_SESSION_MAX_ACTORS): past it, the least recently used idle ones
   * passivate early (each holds its transcript; a server answering one-shot requests would otherwise keep every
   * session of the last `passivateAfter`).
   */
  readonly maxActors: number
  /** A session idle this long without ending gets SessionAbandoned. */
  readonly abandonAfter: Duration.Duration
  /** Stream model replies (text deltas reach `Sessions.send` callers as they arrive). */
  readonly stream: boolean
  /**
   * How long a turn's request events (the user message, the model request) wait to be appended with the model's
   * answer before they are appended on their own, during the call (TAU_SESSION_TURN_LINGER_MS; 0: at once). An
   * answer within it makes the turn one append instead of two.
   */
  readonly turnLinger: Duration.Duration
}

const defaultTurnLingerMs = 10

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be an integer >= 1", validation: (n) => n >= 1 }),
    Config.withDefault(fallback)
  )

const fraction = (name: string, fallback: number) =>
  Config.number(name).pipe(
    Config.validate({ message: "must be a number in (0, 1]", validation: (n) => n > 0 && n <= 1 }),
    Config.withDefault(fallback)
  )

const millis = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be an integer >= 1 (milliseconds)", validation: (n) => n >= 1 }),
    Config.map(Duration.millis),
    Config.withDefault(fallback)
  )

const thresholds = Config.string("TAU_BUDGET_ALERT_THRESHOLDS").pipe(
  Config.map((s) => s.split(",").map((t) => t.trim()).filter((t) => t.length > 0).map(Number)),
  Config.validate({
    message: "must be a comma-separated list of fractions in (0, 1], e.g. 0.5,0.8,1",
    validation: (ts) => ts.every((t) => Number.isFinite(t) && t > 0 && t <= 1)
  }),
  Config.withDefault(defaultAlertThresholds)
)

export const SessionConfig: Config.Config<SessionSettings> = Config.all({
  maxTurns: positiveInt("TAU_MAX_TURNS", 8),
  maxParallelTools: positiveInt("TAU_MAX_PARALLEL_TOOLS", 4),
  maxReplans: Config.integer("TAU_MAX_REPLANS").pipe(
    Config.validate({ message: "must be an integer >= 0", validation: (n) => n >= 0 }),
    Config.withDefault(2)
  ),
  budgetUsd: Config.option(
    Config.number("TAU_SESSION_BUDGET_USD").pipe(
      Config.validate({ message: "must be a number >= 0", validation: (n) => Number.isFinite(n) && n >= 0 })
    )
  ),
  budgetAlertThresholds: thresholds,
  contextWindow: positiveInt("TAU_CONTEXT_WINDOW_TOKENS", defaultCompaction.contextWindow),
  compactionThreshold: fraction("TAU_COMPACTION_THRESHOLD", defaultCompaction.threshold),
  keepTurns: Config.integer("TAU_COMPACTION_KEEP_TURNS").pipe(
    Config.validate({ message: "must be an integer >= 0", validation: (n) => n >= 0 }),
    Config.withDefault(defaultCompaction.keepTurns)
  ),
  passivateAfter: millis("TAU_SESSION_PASSIVATE_AFTER_MS", Duration.minutes(5)),
  maxActors: positiveInt("TAU_SESSION_MAX_ACTORS", 2_000),
  abandonAfter: millis("TAU_SESSION_IDLE_TIMEOUT_MS", Duration.minutes(30)),
  stream: Config.boolean("TAU_SESSION_STREAM").pipe(Config.withDefault(true)),
  turnLinger: Config.integer("TAU_SESSION_TURN_LINGER_MS").pipe(
    Config.validate({ message: "must be an integer >= 0 (milliseconds)", validation: (n) => n >= 0 }),
    Config.map(Duration.millis),
    Config.withDefault(Duration.millis(defaultTurnLingerMs))
  )
}).pipe(
  Config.map((c): SessionSettings => ({
    decider: {
      maxReplans: c.maxReplans,
      budgetAlertThresholds: c.budgetAlertThresholds,
      compaction: { contextWindow: c.contextWindow, threshold: c.compactionThreshold, keepTurns: c.keepTurns }
    },
    maxTurns: c.maxTurns,
    maxParallelTools: c.maxParallelTools,
    budgetUsd: c.budgetUsd,
    passivateAfter: c.passivateAfter,
    maxActors: c.maxActors,
    abandonAfter: c.abandonAfter,
    stream: c.stream,
    turnLinger: c.turnLinger
  }))
)
