/**
 * A failure the CLI reports as one line on stderr (exit code 1). Other failures are turned into one line by
 * Failure.ts, so users never see a stack trace.
 */
import { Data } from "effect"

export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}
