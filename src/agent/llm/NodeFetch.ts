/**
 * The `fetch` the `openai` SDK is given: the same contract as the global fetch (a WHATWG Response; network
 * failures reject with a TypeError, a body cut short errors with one; an aborted signal rejects with an
 * AbortError), over node:http/https with keep-alive agents. Node's global fetch (undici) spends about as much
 * CPU per request as an instant model server does to answer it; this path about halves the SDK's cost per call.
 * A body that is not a string or bytes, and a redirect, are handed to the global fetch.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http"
import type { IncomingMessage } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"
import type { Readable } from "node:stream"
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib"

const nullBodyStatus = new Set([101, 103, 204, 205, 304])

const terminated = (cause: unknown) => new TypeError("terminated", { cause })
const failed = (cause: unknown) => new TypeError("fetch failed", { cause })

const isAbort = (error: unknown) => error instanceof Error && error.name === "AbortError"
const abortError = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new DOMException("This operation was aborted", "AbortError")
/** Why a body stopped early: the caller's abort, or the connection. */
const cutShort = (signal: AbortSignal | undefined, cause: unknown) =>
  signal?.aborted === true ? abortError(signal) : isAbort(cause) ? cause : terminated(cause)
const closedEarly = () => new Error("the connection closed before the body ended")

const headersOf = (init: RequestInit["headers"]): Record<string, string> => {
  const out: Record<string, string> = {}
  if (init === undefined) return out
  const headers = init instanceof Headers ? init : new Headers(init)
  headers.forEach((value, name) => {
    out[name] = value
  })
  return out
}

const decoded = (res: IncomingMessage): Readable => {
  switch (res.headers["content-encoding"]?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return res.pipe(createGunzip())
    case "deflate":
      return res.pipe(createInflate())
    case "br":
      return res.pipe(createBrotliDecompress())
    default:
      return res
  }
}

/** The body as a web stream, chunk by chunk as it arrives (server-sent events), with fetch's errors. */
const streamOf = (res: IncomingMessage, body: Readable, signal: AbortSignal | undefined): ReadableStream<Uint8Array> => {
  let ended = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      body.on("data", (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        if ((controller.desiredSize ?? 1) <= 0) body.pause()
      })
      body.on("end", () => {
        ended = true
        controller.close()
      })
      body.on("error", (error) => {
        if (!ended) controller.error(cutShort(signal, error))
        ended = true
      })
      res.on("close", () => {
        if (!ended && !res.complete) controller.error(cutShort(signal, closedEarly()))
        ended = true
      })
    },
    pull() {
      body.resume()
    },
    cancel() {
      ended = true
      res.destroy()
    }
  }, { highWaterMark: 16 })
}

/** The whole body, read before the Response is made (a non-streamed answer is small and read at once anyway). */
const bufferOf = (res: IncomingMessage, body: Readable, signal: AbortSignal | undefined): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let settled = false
    body.on("data", (chunk: Buffer) => chunks.push(chunk))
    body.on("end", () => {
      settled = true
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
    })
    body.on("error", (error) => {
      if (!settled) reject(cutShort(signal, error))
      settled = true
    })
    res.on("close", () => {
      if (!settled && !res.complete) reject(cutShort(signal, closedEarly()))
      settled = true
    })
  })

const responseHeaders = (res: IncomingMessage): Headers => {
  const headers = new Headers()
  const raw = res.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

const isEventStream = (res: IncomingMessage) => (res.headers["content-type"] ?? "").toLowerCase().startsWith("text/event-stream")

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * `idleSocketMs`: an idle keep-alive socket is closed after this long (before a typical server's 5 s keep-alive
 * timeout closes it under a new request); a request in flight is not limited by it. `ca`: certificates trusted for
 * https instead of Node's default ones (a private CA; NODE_EXTRA_CA_CERTS also works for the default fetch).
 */
export const makeNodeFetch = (options: { readonly idleSocketMs?: number; readonly ca?: string } = {}): Fetch => {
  const timeout = options.idleSocketMs ?? 4_000
  const httpAgent = new HttpAgent({ keepAlive: true, timeout })
  const httpsAgent = new HttpsAgent({ keepAlive: true, timeout, ...(options.ca !== undefined ? { ca: options.ca } : {}) })
  return (input, init = {}) => send(input, init, httpAgent, httpsAgent)
}

/** One fetch with its own agents, shared by the clients of this process. */
export const nodeFetch: Fetch = makeNodeFetch()

const send = (input: string | URL | Request, init: RequestInit, httpAgent: HttpAgent, httpsAgent: HttpsAgent): Promise<Response> => {
  const body = init.body
  const simpleBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array
  if (input instanceof Request || !simpleBody || (init.redirect !== undefined && init.redirect !== "follow")) {
    return globalThis.fetch(input, init)
  }
  const url = typeof input === "string" ? new URL(input) : input
  const https = url.protocol === "https:"
  if (!https && url.protocol !== "http:") return globalThis.fetch(input, init)
  const signal = init.signal ?? undefined
  if (signal?.aborted === true) return Promise.reject(abortError(signal))
  return new Promise<Response>((resolve, reject) => {
    const options = {
      method: (init.method ?? "GET").toUpperCase(),
      headers: headersOf(init.headers),
      agent: https ? httpsAgent : httpAgent,
      ...(signal !== undefined ? { signal } : {})
    }
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume()
        globalThis.fetch(input, init).then(resolve, reject)
        return
      }
      const responseInit = { status, statusText: res.statusMessage ?? "", headers: responseHeaders(res) }
      if (nullBodyStatus.has(status) || options.method === "HEAD") {
        res.resume()
        resolve(new Response(null, responseInit))
        return
      }
      const stream = decoded(res)
      if (isEventStream(res)) {
        resolve(new Response(streamOf(res, stream, signal), responseInit))
        return
      }
      bufferOf(res, stream, signal).then((bytes) => resolve(new Response(bytes, responseInit)), reject)
    }
    const req = https ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse)
    req.on("error", (error) => reject(signal?.aborted === true ? abortError(signal) : isAbort(error) ? error : failed(error)))
    req.end(body ?? undefined)
  })
}
