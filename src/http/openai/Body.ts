/**
 * Reading an OpenAI-style JSON request body: unreadable or non-JSON bodies and Schema failures become a 400
 * `OpenAiFailure` naming the offending field in `param`.
 */
import { HttpServerRequest } from "@effect/platform"
import { Effect, Schema } from "effect"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureOfParseError, invalidRequest } from "./SendErrors.ts"

/** Decodes the request's JSON body with `schema` (excess properties are ignored, as OpenAI does). */
export const decodeJsonBody = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema, { errors: "first", onExcessProperty: "ignore" })
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.text.pipe(
      Effect.mapError((): OpenAiFailure => invalidRequest("could not read the request body")),
      Effect.flatMap((text) =>
        Effect.try({
          try: (): unknown => JSON.parse(text),
          catch: (): OpenAiFailure =>
            invalidRequest(text.trim().length === 0 ? "the request body is empty; send a JSON object" : "the request body is not valid JSON")
        })
      ),
      Effect.flatMap((json) =>
        typeof json === "object" && json !== null && !Array.isArray(json)
          ? Effect.mapError(decode(json), failureOfParseError)
          : Effect.fail(invalidRequest("the request body must be a JSON object"))
      )
    ))
}
