/**
 * Tuning of the log shared by both backends, read from configuration (TAU_* variables).
 */
import { Config, Duration } from "effect"

export interface EventLogOptions {
  /**
   * How long the group-commit writer lingers for more appends after the first one arrives. Zero (the default)
   * is adaptive: a lone appender never waits; under contention (the last batch had several callers) the
   * writer yields until as many callers are queued again, for at most 2 ms.
   */
  readonly groupCommitWindow: Duration.Duration
  /** Most append calls committed in one transaction. */
  readonly maxBatch: number
  /** How often an idle subscriber checks for commits by other processes that sent no notification. */
  readonly pollInterval: Duration.Duration
  /** Rows per catch-up query. */
  readonly pageSize: number
}

export const defaultEventLogOptions: EventLogOptions = {
  groupCommitWindow: Duration.zero,
  maxBatch: 1024,
  pollInterval: Duration.millis(250),
  pageSize: 1000
}

export const EventLogOptionsConfig: Config.Config<EventLogOptions> = Config.all({
  groupCommitWindow: Config.integer("TAU_GROUP_COMMIT_WINDOW_MS").pipe(
    Config.validate({ message: "must be between 0 and 100", validation: (n) => n >= 0 && n <= 100 }),
    Config.map(Duration.millis),
    Config.withDefault(defaultEventLogOptions.groupCommitWindow)
  ),
  maxBatch: Config.integer("TAU_GROUP_COMMIT_MAX_BATCH").pipe(
    Config.validate({ message: "must be at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(defaultEventLogOptions.maxBatch)
  ),
  pollInterval: Config.integer("TAU_LOG_POLL_INTERVAL_MS").pipe(
    Config.validate({ message: "must be at least 10", validation: (n) => n >= 10 }),
    Config.map(Duration.millis),
    Config.withDefault(defaultEventLogOptions.pollInterval)
  ),
  pageSize: Config.integer("TAU_LOG_PAGE_SIZE").pipe(
    Config.validate({ message: "must be between 1 and 100000", validation: (n) => n >= 1 && n <= 100_000 }),
    Config.withDefault(defaultEventLogOptions.pageSize)
  )
})
