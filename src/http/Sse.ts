/**
 * Server-sent events for every gateway route: message framing, heartbeat comments, and a Stream of frames as a
 * streaming response with the headers that keep proxies from buffering (`X-Accel-Buffering: no`,
 * `Cache-Control: no-cache`), written chunk by chunk.
 */
import { HttpServerResponse } from "@effect/platform"
import { Cause, Chunk, Config, Duration, Effect, Exit, Option, Stream } from "effect"
import { timerDelay } from "../domain/Quantities.ts"

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

/** Chunks of frames read ahead of the client at most; the source waits past it (a slow client holds it back). */
const READ_AHEAD = 16

/**
 * `frames`, with a heartbeat frame whenever none has gone out for `every`. One fibre reads `frames` into a small
 * buffer; the response takes everything buffered at once, or a heartbeat when its wait passes the interval.
 * (Stream.merge with a heartbeat stream handed every frame from fibre to fibre through a queue, and sent
 * heartbeats on a fixed schedule even while frames flowed.)
 */
export const withHeartbeat = <E>(frames: Stream.Stream<string, E>, every: Duration.Duration): Stream.Stream<string, E> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const buffer: Array<Chunk.Chunk<string>> = []
    let end: Exit.Exit<void, E> | undefined
    let wakeReader: (() => void) | undefined
    let wakeWriter: (() => void) | undefined
    const readerWakes = () => {
      const wake = wakeReader
      wakeReader = undefined
      wake?.()
    }
    const room = Effect.async<void>((resume) => {
      if (buffer.length < READ_AHEAD) return resume(Effect.void)
      wakeWriter = () => resume(Effect.void)
      return Effect.sync(() => {
        wakeWriter = undefined
      })
    })
    yield* Stream.runForEachChunk(frames, (chunk) =>
      Effect.zipRight(
        room,
        Effect.sync(() => {
          buffer.push(chunk)
          readerWakes()
        })
      )).pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.sync(() => {
            end = exit
            readerWakes()
          })
        ),
        Effect.forkScoped
      )
    const taken = (): Effect.Effect<Chunk.Chunk<string>, Option.Option<E>> | undefined => {
      if (buffer.length > 0) {
        const chunks = buffer.splice(0)
        const wake = wakeWriter
        wakeWriter = undefined
        wake?.()
        return Effect.succeed(Chunk.flatten(Chunk.unsafeFromArray(chunks)))
      }
      if (end === undefined) return undefined
      return Exit.isSuccess(end) ? Effect.fail(Option.none()) : Effect.failCause(Cause.map(end.cause, Option.some))
    }
    const intervalMs = Duration.toMillis(every)
    const read = Effect.async<Chunk.Chunk<string>, Option.Option<E>>((resume) => {
      const now = taken()
      if (now !== undefined) return resume(now)
      const timer = setTimeout(() => {
        wakeReader = undefined
        resume(Effect.succeed(Chunk.of(heartbeatFrame)))
      }, timerDelay(intervalMs))
      wakeReader = () => {
        clearTimeout(timer)
        resume(taken()!)
      }
      return Effect.sync(() => {
        clearTimeout(timer)
        wakeReader = undefined
      })
    })
    return Stream.repeatEffectChunkOption(read)
  }))

/**
 * A streaming `text/event-stream` response of frames. The stream should not fail: turn failures into an
 * error frame first (a failing body just cuts the connection, which clients report as a network error).
 * With `heartbeat`, a comment line is sent whenever no frame has gone out for that long (a long tool run sends
 * nothing). The frames of one chunk go out in one write.
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
    : withHeartbeat(frames, options.heartbeat)
  const bytes = Stream.mapChunks(body, (chunk) => Chunk.isEmpty(chunk) ? Chunk.empty() : Chunk.of(encoder.encode(Chunk.join(chunk, ""))))
  return HttpServerResponse.stream(bytes, {
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
