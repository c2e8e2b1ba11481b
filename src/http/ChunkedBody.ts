/**
 * Bodies sent without a Content-Length (chunked). The body-size limit can only trip while such a body is read,
 * and the platform then destroys the socket, so the client gets a cut connection instead of a 413. The gateway
 * therefore reads these bodies itself first: within the limit, the route gets a request whose body is the bytes
 * read; past it, the rest is read and discarded (up to DRAIN_LIMIT more, then the connection is cut anyway) so
 * the connection stays usable for the 413.
 */
import type { HttpServerRequest } from "@effect/platform"
import { HttpServerError, UrlParams } from "@effect/platform"
import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect, Stream } from "effect"

/** How much past the limit is read and discarded to deliver a clean 413 before the connection is cut. */
const DRAIN_LIMIT = 64 * 1024 * 1024

export type ChunkedBody =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }

/**
 * Reads the whole body of a node request (one without Content-Length here; the OpenAI routes use it for every
 * body); `TooLarge` past `limit` bytes.
 */
export const readChunkedBody = (
  request: HttpServerRequest.HttpServerRequest,
  limit: number
): Effect.Effect<ChunkedBody, HttpServerError.RequestError> =>
  Effect.async<ChunkedBody, HttpServerError.RequestError>((resume) => {
    const message = NodeHttpServerRequest.toIncomingMessage(request)
    // Already read to its end by someone else: no `end` would come.
    if (message.readableEnded) {
      return resume(Effect.fail(new HttpServerError.RequestError({ request, reason: "Decode", description: "the body was already read" })))
    }
    const chunks: Array<Buffer> = []
    let bytes = 0
    const onData = (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes <= limit) chunks.push(chunk)
      else if (bytes > limit + DRAIN_LIMIT) {
        cleanup()
        message.destroy()
        resume(Effect.succeed({ _tag: "TooLarge" }))
      }
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(bytes > limit ? { _tag: "TooLarge" } : { _tag: "Body", bytes: Buffer.concat(chunks) }))
    }
    const onError = (cause: Error) => {
      cleanup()
      resume(Effect.fail(new HttpServerError.RequestError({ request, reason: "Decode", cause })))
    }
    const cleanup = () => {
      message.off("data", onData)
      message.off("end", onEnd)
      message.off("error", onError)
    }
    message.on("data", onData)
    message.once("end", onEnd)
    message.once("error", onError)
    return Effect.sync(cleanup)
  })

/** The same request with its body already read: `bytes`. */
export const withBody = (
  request: HttpServerRequest.HttpServerRequest,
  bytes: Uint8Array
): HttpServerRequest.HttpServerRequest => {
  const text = new TextDecoder().decode(bytes)
  const decodeError = (cause: unknown) => new HttpServerError.RequestError({ request, reason: "Decode", cause })
  const overrides: Record<string, PropertyDescriptor> = {
    text: { value: Effect.succeed(text) },
    json: {
      value: Effect.try({ try: () => (text === "" ? null : JSON.parse(text) as unknown), catch: decodeError })
    },
    urlParamsBody: {
      value: Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: decodeError })
    },
    // A copy of exactly these bytes: a Buffer's `.buffer` is often a larger shared pool.
    arrayBuffer: { value: Effect.sync(() => new Uint8Array(bytes).buffer) },
    stream: { value: Stream.succeed(bytes) }
  }
  return Object.create(request, overrides) as HttpServerRequest.HttpServerRequest
}
