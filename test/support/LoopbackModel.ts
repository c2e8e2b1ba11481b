/**
 * A loopback OpenAI-compatible server for tests: a real node:http server on 127.0.0.1 speaking Chat
 * Completions (JSON and SSE streaming), /v1/models and /v1/embeddings (deterministic hashing vectors).
 * Tests script it reply by reply (text, tool calls, streams cut mid-way, 429 with Retry-After, 5xx, 400,
 * malformed JSON, dropped connections, slow answers); with nothing scripted it echoes the last user message.
 * Every request is recorded (body, headers, arrival time) so tests can assert what the model saw.
 *
 *   const lb = yield* loopbackModel()           // Effect, closed with the scope
 *   const lb = await startLoopbackModel()       // plain async; call lb.close()
 *   lb.enqueue(Reply.error(503), Reply.text("hi"))
 *   Layer.setConfigProvider(lb.configProvider({ TAU_LLM_MAX_RETRIES: "1" }))
 */
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import type { Scope } from "effect"

export interface LoopbackToolCall {
  readonly id?: string
  readonly name: string
  /** JSON text, or an object to be serialised. */
  readonly arguments: string | Readonly<Record<string, unknown>>
}

export interface LoopbackUsage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
  readonly prompt_tokens_details?: { readonly cached_tokens: number }
}

interface Common {
  /** Only a request for this model takes this reply (others skip over it). */
  readonly model?: string
  /** Wait before answering at all. */
  readonly delayMs?: number
}

interface Streamable {
  /** Streaming only: drop the connection after this many content chunks (no finish, no [DONE]). */
  readonly cutAfterChunks?: number
  /** Streaming only: pause between chunks. */
  readonly chunkDelayMs?: number
  readonly finishReason?: string
  readonly usage?: LoopbackUsage
  /** Leave usage out of the response (some servers do). */
  readonly omitUsage?: boolean
}

export type LoopbackReply =
  | Common & Streamable & {
    readonly type: "text"
    readonly content: string
    /** How a streamed answer is cut into chunks; default: word by word. */
    readonly chunks?: ReadonlyArray<string>
  }
  | Common & Streamable & {
    readonly type: "tool_calls"
    readonly calls: ReadonlyArray<LoopbackToolCall>
    readonly content?: string
  }
  | Common & {
    readonly type: "error"
    readonly status: number
    readonly body?: unknown
    readonly headers?: Readonly<Record<string, string>>
  }
  | Common & { readonly type: "malformed"; readonly body?: string }
  | Common & { readonly type: "drop" }

type Options<R> = Omit<R, "type" | "content" | "calls" | "status">

export const Reply = {
  text: (content: string, options: Options<Extract<LoopbackReply, { type: "text" }>> = {}): LoopbackReply => ({
    type: "text",
    content,
    ...options
  }),
  toolCalls: (
    calls: ReadonlyArray<LoopbackToolCall>,
    options: Options<Extract<LoopbackReply, { type: "tool_calls" }>> & { readonly content?: string } = {}
  ): LoopbackReply => ({ type: "tool_calls", calls, ...options }),
  error: (status: number, options: Options<Extract<LoopbackReply, { type: "error" }>> = {}): LoopbackReply => ({
    type: "error",
    status,
    ...options
  }),
  /** A 429; `retryAfter` is the Retry-After header (seconds or HTTP date), `retryAfterMs` the retry-after-ms one. */
  rateLimited: (options: Common & { readonly retryAfter?: string; readonly retryAfterMs?: number } = {}): LoopbackReply => ({
    type: "error",
    status: 429,
    headers: {
      ...(options.retryAfter !== undefined ? { "retry-after": options.retryAfter } : {}),
      ...(options.retryAfterMs !== undefined ? { "retry-after-ms": String(options.retryAfterMs) } : {})
    },
    body: { error: { message: "Rate limit reached (scripted)", type: "requests", code: "rate_limit_exceeded" } },
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {})
  }),
  malformed: (options: Common & { readonly body?: string } = {}): LoopbackReply => ({ type: "malformed", ...options }),
  drop: (options: Common = {}): LoopbackReply => ({ type: "drop", ...options })
} as const

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body (the raw text when it is not JSON). */
  readonly body: unknown
  readonly receivedAt: number
}

/** The part of a chat completion request tests usually look at. */
export interface ChatRequestBody {
  readonly model: string
  readonly messages: ReadonlyArray<{ readonly role: string; readonly content?: unknown; readonly [k: string]: unknown }>
  readonly stream?: boolean
  readonly tools?: ReadonlyArray<unknown>
  readonly logprobs?: boolean
  readonly top_logprobs?: number
  readonly [k: string]: unknown
}

export interface LoopbackModel {
  /** Base URL including `/v1`, as OPENAI_BASE_URL expects. */
  readonly url: string
  readonly port: number
  readonly requests: ReadonlyArray<RecordedRequest>
  readonly chatRequests: () => ReadonlyArray<RecordedRequest & { readonly body: ChatRequestBody }>
  readonly enqueue: (...replies: ReadonlyArray<LoopbackReply>) => void
  /** Scripted replies not yet used. */
  readonly pending: () => number
  /** Forgets the script and the recorded requests. */
  readonly reset: () => void
  /** Configuration pointing Tau's LanguageModel at this server; `overrides` add or replace variables. */
  readonly config: (overrides?: Readonly<Record<string, string>>) => Map<string, string>
  readonly configProvider: (overrides?: Readonly<Record<string, string>>) => ConfigProvider.ConfigProvider
  readonly close: () => Promise<void>
}

export interface LoopbackOptions {
  /** Listed by /v1/models; the first is TAU_MODEL in `config()`. */
  readonly models?: ReadonlyArray<string>
  readonly embeddingDimensions?: number
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  res.end(text)
}

const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

const words = (text: string): ReadonlyArray<string> => text.match(/\s*\S+\s*/g) ?? (text.length > 0 ? [text] : [])

/** A deterministic, non-positive logprob for the i-th token. */
const fakeLogprob = (token: string, i: number) => -((createHash("sha1").update(`${i}:${token}`).digest()[0]! % 50) + 1) / 100

const logprobsFor = (tokens: ReadonlyArray<string>, top: number, offset = 0) =>
  tokens.map((token, i) => ({
    token,
    logprob: fakeLogprob(token, offset + i),
    bytes: [...Buffer.from(token)],
    top_logprobs: Array.from({ length: top }, (_, k) => ({
      token: k === 0 ? token : `${token}~${k}`,
      logprob: fakeLogprob(token, offset + i) - k * 0.5,
      bytes: null
    }))
  }))

/** Feature hashing of words into `dims` buckets, L2-normalised: equal texts give equal vectors. */
export const hashEmbedding = (text: string, dims: number): ReadonlyArray<number> => {
  const vector = new Array<number>(dims).fill(0)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []) {
    const digest = createHash("sha256").update(word).digest()
    vector[digest.readUInt32BE(0) % dims]! += digest[4]! & 1 ? 1 : -1
  }
  const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0))
  return norm === 0 ? vector : vector.map((v) => v / norm)
}

const argumentsText = (args: LoopbackToolCall["arguments"]) => typeof args === "string" ? args : JSON.stringify(args)

export const startLoopbackModel = async (options: LoopbackOptions = {}): Promise<LoopbackModel> => {
  const models = options.models ?? ["loopback-model"]
  const script: Array<LoopbackReply> = []
  const requests: Array<RecordedRequest> = []
  const timers = new Set<NodeJS.Timeout>()
  let counter = 0

  const sleep = (ms: number, res: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed)
      const onClose = () => {
        clearTimeout(timer)
        timers.delete(timer)
        resolve(false)
      }
      const timer = setTimeout(() => {
        timers.delete(timer)
        res.off("close", onClose)
        resolve(!res.destroyed)
      }, ms)
      timers.add(timer)
      res.once("close", onClose)
    })

  const take = (model: string): LoopbackReply | undefined => {
    const index = script.findIndex((reply) => reply.model === undefined || reply.model === model)
    return index < 0 ? undefined : script.splice(index, 1)[0]
  }

  const promptTokens = (body: ChatRequestBody) => approxTokens(JSON.stringify(body.messages ?? []))

  const echo = (body: ChatRequestBody): LoopbackReply => {
    const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === "user")
    const content = typeof lastUser?.content === "string" ? lastUser.content : JSON.stringify(lastUser?.content ?? "")
    return Reply.text(`echo: ${content}`)
  }

  const usageOf = (body: ChatRequestBody, reply: Streamable, completionText: string): LoopbackUsage => {
    if (reply.usage !== undefined) return reply.usage
    const prompt = promptTokens(body)
    const completion = approxTokens(completionText)
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  }

  const completeJson = (res: ServerResponse, body: ChatRequestBody, reply: Extract<LoopbackReply, { type: "text" | "tool_calls" }>) => {
    const content = reply.type === "text" ? reply.content : (reply.content ?? null)
    const calls = reply.type === "tool_calls"
      ? reply.calls.map((call, i) => ({
        id: call.id ?? `call_${counter}_${i}`,
        type: "function",
        function: { name: call.name, arguments: argumentsText(call.arguments) }
      }))
      : undefined
    const top = body.top_logprobs ?? 0
    const completionText = (content ?? "") + (calls ?? []).map((c) => c.function.name + c.function.arguments).join("")
    json(res, 200, {
      id: `chatcmpl-loopback-${counter}`,
      object: "chat.completion",
      created: 1_700_000_000 + counter,
      model: body.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content, refusal: null, ...(calls !== undefined ? { tool_calls: calls } : {}) },
        logprobs: body.logprobs === true && content !== null ? { content: logprobsFor(words(content), top), refusal: null } : null,
        finish_reason: reply.finishReason ?? (calls !== undefined ? "tool_calls" : "stop")
      }],
      ...(reply.omitUsage ? {} : { usage: usageOf(body, reply, completionText) })
    })
  }

  const streamSse = async (
    res: ServerResponse,
    body: ChatRequestBody,
    reply: Extract<LoopbackReply, { type: "text" | "tool_calls" }>
  ) => {
    const id = `chatcmpl-loopback-${counter}`
    const base = { id, object: "chat.completion.chunk", created: 1_700_000_000 + counter, model: body.model }
    const top = body.top_logprobs ?? 0
    const send = (data: unknown) =>
      new Promise<void>((resolve) => res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`, () => resolve()))
    const choice = (delta: unknown, extra: Record<string, unknown> = {}) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...extra }]
    })

    const pieces: Array<unknown> = []
    const content = reply.type === "text" ? reply.content : (reply.content ?? "")
    const textChunks = reply.type === "text" && reply.chunks !== undefined ? reply.chunks : words(content)
    let tokenIndex = 0
    for (const text of textChunks) {
      const logprobs = body.logprobs === true ? { content: logprobsFor([text], top, tokenIndex++), refusal: null } : null
      pieces.push(choice({ content: text }, { logprobs }))
    }
    if (reply.type === "tool_calls") {
      reply.calls.forEach((call, index) => {
        const args = argumentsText(call.arguments)
        const half = Math.ceil(args.length / 2)
        pieces.push(choice({
          tool_calls: [{ index, id: call.id ?? `call_${counter}_${index}`, type: "function", function: { name: call.name, arguments: "" } }]
        }))
        for (const part of [args.slice(0, half), args.slice(half)]) {
          if (part.length > 0) pieces.push(choice({ tool_calls: [{ index, function: { arguments: part } }] }))
        }
      })
    }

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
    await send(choice({ role: "assistant", content: "" }))
    let sent = 0
    for (const piece of pieces) {
      if (reply.cutAfterChunks !== undefined && sent >= reply.cutAfterChunks) {
        // Let the client read what it got before the connection drops: a stream error discards unread chunks.
        await sleep(50, res)
        res.socket?.destroy()
        return
      }
      if (!(await sleep(reply.chunkDelayMs ?? 0, res))) return
      await send(piece)
      sent++
    }
    const completionText = content + (reply.type === "tool_calls" ? reply.calls.map((c) => c.name + argumentsText(c.arguments)).join("") : "")
    await send(choice({}, { finish_reason: reply.finishReason ?? (reply.type === "tool_calls" ? "tool_calls" : "stop") }))
    const streamOptions = body["stream_options"] as { include_usage?: boolean } | undefined
    if (streamOptions?.include_usage === true && !reply.omitUsage) {
      await send({ ...base, choices: [], usage: usageOf(body, reply, completionText) })
    }
    await send("[DONE]")
    res.end()
  }

  const chat = async (res: ServerResponse, body: ChatRequestBody) => {
    counter++
    const reply = take(body.model) ?? echo(body)
    if (reply.delayMs !== undefined && !(await sleep(reply.delayMs, res))) return
    switch (reply.type) {
      case "error":
        return json(res, reply.status, reply.body ?? { error: { message: `scripted ${reply.status}`, type: "scripted", code: null } }, {
          ...reply.headers
        })
      case "malformed":
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(reply.body ?? `{"id": "chatcmpl-broken", "choices": [{"message": `)
      case "drop":
        return res.socket?.destroy()
      default:
        return body.stream === true ? streamSse(res, body, reply) : completeJson(res, body, reply)
    }
  }

  const embeddings = (res: ServerResponse, body: Record<string, unknown>) => {
    const input = body["input"]
    const texts = (Array.isArray(input) ? input : [input]).map((t) => typeof t === "string" ? t : JSON.stringify(t))
    const dims = typeof body["dimensions"] === "number" ? body["dimensions"] : options.embeddingDimensions ?? 64
    const tokens = texts.reduce((n, t) => n + approxTokens(t), 0)
    // The SDK asks for base64 (little-endian float32) unless the caller picks a format.
    const encode = (vector: ReadonlyArray<number>) =>
      body["encoding_format"] === "base64" ? Buffer.from(Float32Array.from(vector).buffer).toString("base64") : vector
    json(res, 200, {
      object: "list",
      data: texts.map((text, index) => ({ object: "embedding", index, embedding: encode(hashEmbedding(text, dims)) })),
      model: typeof body["model"] === "string" ? body["model"] : "loopback-embedding",
      usage: { prompt_tokens: tokens, total_tokens: tokens }
    })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString("utf8")
    let body: unknown = text
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined
    } catch {
      // recorded as text
    }
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/v1(?=\/)/, "")
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
    }
    requests.push({ method: req.method ?? "GET", path, headers, body, receivedAt: Date.now() })
    if (req.method === "POST" && path === "/chat/completions" && typeof body === "object" && body !== null) {
      return chat(res, body as ChatRequestBody)
    }
    if (req.method === "POST" && path === "/embeddings" && typeof body === "object" && body !== null) {
      return embeddings(res, body as Record<string, unknown>)
    }
    if (req.method === "GET" && path === "/models") {
      return json(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "loopback" }))
      })
    }
    json(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error", code: null } })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(error), type: "loopback_bug", code: null } })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}/v1`

  const config = (overrides: Readonly<Record<string, string>> = {}) =>
    new Map<string, string>(Object.entries({
      OPENAI_BASE_URL: url,
      OPENAI_API_KEY: "loopback-key",
      TAU_MODEL: models[0] ?? "loopback-model",
      ...overrides
    }))

  return {
    url,
    port,
    requests,
    chatRequests: () =>
      requests.filter((r) => r.path === "/chat/completions") as ReadonlyArray<RecordedRequest & { readonly body: ChatRequestBody }>,
    enqueue: (...replies) => {
      script.push(...replies)
    },
    pending: () => script.length,
    reset: () => {
      script.length = 0
      requests.length = 0
    },
    config,
    configProvider: (overrides) => ConfigProvider.fromMap(config(overrides)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** The loopback server as a scoped resource: closed when the scope closes. */
export const loopbackModel = (options: LoopbackOptions = {}): Effect.Effect<LoopbackModel, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startLoopbackModel(options)),
    (server) => Effect.promise(() => server.close())
  )

/** The loopback server as a service, for `it.layer` suites. */
export class Loopback extends Context.Tag("test/Loopback")<Loopback, LoopbackModel>() {
  static readonly layer = (options: LoopbackOptions = {}) => Layer.scoped(Loopback, loopbackModel(options))
}
