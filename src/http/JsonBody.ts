/**
 * A malformed JSON body is a 400 with the parser's message, not a 500: HttpApi reads bodies with `orDie`, so
 * this middleware (on the whole `TauApi`) parses the body first and fails with the same `HttpApiDecodeError`
 * a schema mismatch gives. The body text is cached by the request, so the handler does not read it twice.
 */
import { HttpApiError, HttpApiMiddleware, HttpMethod, HttpServerRequest } from "@effect/platform"
import { Effect, Layer } from "effect"

export class JsonBody extends HttpApiMiddleware.Tag<JsonBody>()("tau/http/JsonBody", {
  failure: HttpApiError.HttpApiDecodeError
}) {}

const isJson = (contentType: string | undefined) =>
  contentType === undefined || contentType.toLowerCase().includes("application/json")

export const JsonBodyLive = Layer.succeed(
  JsonBody,
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!HttpMethod.hasBody(request.method) || !isJson(request.headers["content-type"])) return
    // A read failure (too large, connection lost) is left to the handler and the gateway middleware.
    const text = yield* Effect.orDie(request.text)
    if (text === "") return
    try {
      JSON.parse(text)
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error)
      const message = `malformed JSON body: ${detail}`
      return yield* new HttpApiError.HttpApiDecodeError({ message, issues: [{ _tag: "Type", path: [], message }] })
    }
  })
)
