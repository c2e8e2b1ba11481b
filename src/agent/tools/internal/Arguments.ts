/**
 * Decoding the model's JSON argument text against a tool's parameter Schema, with errors that name the
 * failing path so the model can correct itself.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { ToolError } from "../Errors.ts"

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0
    ? "(root)"
    : path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("")

const parseJson = (text: string): Either.Either<unknown, string> => {
  if (text.trim() === "") return Either.right({})
  try {
    return Either.right(JSON.parse(text))
  } catch (cause) {
    return Either.left(cause instanceof Error ? cause.message : String(cause))
  }
}

export const formatParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  // Optional fields add a second "Expected undefined" issue next to the real one; it only confuses.
  const useful = issues.filter((issue) =>
    !(issue.message.startsWith("Expected undefined") && issues.some((o) => o !== issue && formatPath(o.path) === formatPath(issue.path)))
  )
  return useful.map((issue) => `at ${formatPath(issue.path)}: ${issue.message}`).join("; ")
}

export const decodeArguments = <A>(
  tool: string,
  schema: Schema.Schema<A, unknown, never>,
  argumentsJson: string
): Effect.Effect<A, ToolError> => {
  const parsed = parseJson(argumentsJson)
  if (Either.isLeft(parsed)) {
    return Effect.fail(
      new ToolError({ tool, reason: "invalid_arguments", message: `arguments are not valid JSON: ${parsed.left}` })
    )
  }
  return Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(parsed.right).pipe(
    Effect.mapError((error) =>
      new ToolError({ tool, reason: "invalid_arguments", message: `invalid arguments for ${tool}: ${formatParseError(error)}` })
    )
  )
}
