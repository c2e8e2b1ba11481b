/**
 * Logging of command-line processes: to stderr (stdout carries results, e.g. JSONL exports), warnings and
 * above unless TAU_LOG_LEVEL says otherwise.
 */
import { Config, Effect, Layer, Logger, LogLevel } from "effect"

export const StderrLoggerLive = Layer.merge(
  Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true })),
  Layer.unwrapEffect(
    Effect.map(
      Config.logLevel("TAU_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Warning)),
      Logger.minimumLogLevel
    )
  )
)
