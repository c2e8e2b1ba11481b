/**
 * Reading an OpenAI-style JSON request body: unreadable or non-JSON bodies and Schema failures become a 400
 * `OpenAiFailure` naming the offending field in `param`.
 */
import { HttpIncomingMessage, HttpServerRequest } from "@effect/platform"
import { Effect, Option, Schema } from "effect"
import { compileCheck, Invalid } from "../../domain/SchemaCheck.ts"
import { readChunkedBody } from "../ChunkedBody.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureOfParseError, invalidRequest } from "./SendErrors.ts"

const unreadable = (): OpenAiFailure => invalidRequest("could not read the request body")

/**
 * The body as text. Read straight from the node request: the platform's `text` makes a fibre and a cache per
 * request to do the same. A request whose body the gateway already read (chunked upload) carries `text` itself.
 */
const bodyText = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<string, OpenAiFailure> =>
  Object.hasOwn(request, "text")
    ? Effect.mapError(request.text, unreadable)
    : Effect.flatMap(HttpIncomingMessage.MaxBodySize, (limit) =>
      readChunkedBody(request, Option.isSome(limit) ? Number(limit.value) : Number.POSITIVE_INFINITY).pipe(
        Effect.mapError(unreadable),
        Effect.flatMap((body) =>
          body._tag === "TooLarge"
            ? Effect.fail(invalidRequest("the request body is larger than this server accepts"))
            : Effect.succeed(Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString("utf8"))
        )
      ))

/**
 * Decodes the request's JSON body with `schema` (excess properties are ignored, as OpenAI does). A schema without
 * transformations is checked by its compiled check (src/domain/SchemaCheck.ts); Schema decodes what it refuses,
 * to name the failing field.
 */
export const decodeJsonBody = <A, I>(schema: Schema.Schema<A, I>) => {
  const slow = Schema.decodeUnknown(schema, { errors: "first", onExcessProperty: "ignore" })
  const check = compileCheck(schema.ast)
  const decode = check === undefined ? slow : (json: unknown) => {
    const checked = check(json)
    // A compiled check passes only values of the schema's type (which, without transformations, is its encoding).
    return checked === Invalid ? slow(json) : Effect.succeed(checked as A)
  }
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    bodyText(request).pipe(
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
