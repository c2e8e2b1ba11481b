/**
 * Server-sent events for the OpenAI-compatible routes: frames (`data: <json>\n\n`, or named
 * `event: <name>\ndata: <json>\n\n` as the Responses API sends them) and a Stream of frames as a streaming
 * HttpServerResponse, written chunk by chunk (no buffering by the server or a proxy in front of it).
 */
import { HttpServerResponse } from "@effect/platform"
import { Stream } from "effect"

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

/**
 * A streaming `text/event-stream` response of frames. The stream should not fail: turn failures into an
 * error frame first (a failing body just cuts the connection, which clients report as a network error).
 */
export const sseResponse = <E>(
  frames: Stream.Stream<string, E>,
  options: { readonly headers?: Readonly<Record<string, string>>; readonly status?: number } = {}
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(Stream.map(frames, (frame) => encoder.encode(frame)), {
    status: options.status ?? 200,
    contentType: "text/event-stream",
    headers: options.headers === undefined ? sseHeaders : { ...sseHeaders, ...options.headers }
  })
