/**
 * Server-sent events for the OpenAI-compatible routes: frames (`data: <json>\n\n`, or named
 * `event: <name>\ndata: <json>\n\n` as the Responses API sends them) and a Stream of frames as a streaming
 * HttpServerResponse, written chunk by chunk (no buffering by the server or a proxy in front of it).
 */
import { HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Schedule, Stream } from "effect"

const encoder = new TextEncoder()

/** `data: <json>\n\n` */
export const dataFrame = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`

/** `event: <name>\ndata: <json>\n\n` */
export const eventFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** Chat Completions' end-of-stream marker. */
export const doneFrame = "data: [DONE]\n\n"

export const sseHeaders: Readonly<Record<string, string>> = {
  "cache-control": "no-cache",
  connection: "keep-alive",
  // nginx and similar proxies buffer responses unless told not to
  "x-accel-buffering": "no"
}

/** A comment line: SSE clients (the openai SDKs too) skip it; it keeps proxies from closing an idle stream. */
export const heartbeatFrame = ": heartbeat\n\n"

/**
 * A streaming `text/event-stream` response of frames. The stream should not fail: turn failures into an
 * error frame first (a failing body just cuts the connection, which clients report as a network error).
 * With `heartbeat`, a comment line is sent every interval until the frames end (a long tool run sends nothing).
 */
export const sseResponse = <E>(
  frames: Stream.Stream<string, E>,
  options: {
    readonly headers?: Readonly<Record<string, string>>
    readonly status?: number
    readonly heartbeat?: Duration.Duration | undefined
  } = {}
): HttpServerResponse.HttpServerResponse => {
  const body = options.heartbeat === undefined || !Duration.isFinite(options.heartbeat)
    ? frames
    : Stream.merge(
      frames,
      Stream.repeatEffectWithSchedule(Effect.succeed(heartbeatFrame), Schedule.spaced(options.heartbeat)).pipe(Stream.drop(1)),
      { haltStrategy: "left" }
    )
  return HttpServerResponse.stream(Stream.map(body, (frame) => encoder.encode(frame)), {
    status: options.status ?? 200,
    contentType: "text/event-stream",
    headers: options.headers === undefined ? sseHeaders : { ...sseHeaders, ...options.headers }
  })
}
