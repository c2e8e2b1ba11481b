/**
 * Server-sent events for every gateway route: message framing, heartbeat comments, and a Stream of frames as a
 * streaming response with the headers that keep proxies from buffering (`X-Accel-Buffering: no`,
 * `Cache-Control: no-cache`), written chunk by chunk.
 */
import { HttpServerResponse } from "@effect/platform"
import { Chunk, Config, Duration, Effect, Schedule, Stream } from "effect"

export const SseConfig = Config.all({
  /** Comment line sent on an idle stream so proxies and clients keep the connection. */
  heartbeat: Config.duration("TAU_SSE_HEARTBEAT").pipe(Config.withDefault(Duration.seconds(15)))
})

const encoder = new TextEncoder()

/** One SSE message; `data` is JSON text (one line, as JSON.stringify gives). */
export const message = (fields: { readonly id?: string | number; readonly event?: string; readonly data: string }): string =>
  `${fields.id === undefined ? "" : `id: ${fields.id}\n`}${fields.event === undefined ? "" : `event: ${fields.event}\n`}data: ${fields.data}\n\n`

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

/** The typed API's tails: a `: connected` comment first, then `texts` joined per chunk, with heartbeats. */
export const response = <E>(texts: Stream.Stream<string, E>, heartbeat: Duration.Duration) =>
  // One write per chunk, not per message: a catch-up page goes out in one piece, a live event on its own.
  sseResponse(
    Stream.make(": connected\n\n").pipe(Stream.concat(Stream.mapChunks(texts, (chunk) => Chunk.of(Chunk.join(chunk, ""))))),
    { heartbeat }
  )
