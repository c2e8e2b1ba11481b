/**
 * Server-sent events for the typed API: message framing, heartbeat comments, and the response headers that
 * keep proxies from buffering (`X-Accel-Buffering: no`, `Cache-Control: no-cache`).
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

/** Merges heartbeat comments into a stream of SSE texts and serves it. The stream ends when `texts` ends. */
export const response = <E>(texts: Stream.Stream<string, E>, heartbeat: Duration.Duration) => {
  const beats = Stream.repeatEffectWithSchedule(Effect.succeed(": heartbeat\n\n"), Schedule.spaced(heartbeat)).pipe(
    Stream.drop(1)
  )
  // One write per chunk, not per message: a catch-up page goes out in one piece, a live event on its own.
  const joined = Stream.mapChunks(texts, (chunk) => Chunk.of(Chunk.join(chunk, "")))
  const body = Stream.merge(Stream.make(": connected\n\n").pipe(Stream.concat(joined)), beats, { haltStrategy: "left" })
  return HttpServerResponse.stream(Stream.map(body, (text) => encoder.encode(text)), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "keep-alive" }
  })
}
