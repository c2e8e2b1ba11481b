/**
 * Turns whatever made a command fail into one line for stderr: no stack traces, no fibre dumps.
 */
import { ValidationError } from "@effect/cli"
import { Cause, Option } from "effect"

const messageOf = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const tag = "_tag" in error && typeof error._tag === "string" ? error._tag : undefined
  if (tag === "ConfigError" || tag === "And" || tag === "Or" || tag === "InvalidData" || tag === "MissingData") {
    return `invalid configuration: ${String(error)}`
  }
  const message = "message" in error && typeof error.message === "string" && error.message.length > 0
    ? error.message
    : undefined
  const cause = "cause" in error && error.cause !== undefined && error.cause !== error ? messageOf(error.cause) : undefined
  const head = tag === undefined || tag === "CliError" ? message ?? String(error) : `${tag}: ${message ?? ""}`.trim()
  return cause !== undefined && cause.length > 0 && !head.includes(cause) ? `${head} (${cause})` : head
}

/** One line describing the failure, or None when nothing should be printed (interrupt, CLI usage errors). */
export const describeFailure = <E>(cause: Cause.Cause<E>): Option.Option<string> => {
  if (Cause.isInterruptedOnly(cause)) return Option.none()
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    // @effect/cli has already printed its usage error with help.
    if (ValidationError.isValidationError(failure.value)) return Option.none()
    return Option.some(`error: ${messageOf(failure.value)}`.replace(/\s*\n\s*/g, " "))
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return Option.some(`unexpected error: ${messageOf(defect.value)}`.replace(/\s*\n\s*/g, " "))
  return Option.some("error: the command failed")
}
