/**
 * Model calls on a worker thread. The `openai` SDK spends ~0.3 ms of CPU on each call (building and serialising
 * the request, its headers and abort signals, the HTTP client, parsing the answer or the event stream) — on the
 * event loop that serves every session and request, about a sixth of a gateway agent turn. On the thread, the
 * event loop pays ~0.03 ms: posting the request body and receiving the parsed completion or chunks
 * (docs/models.md).
 *
 * The thread starts with the service and is stopped with the scope; it holds the process open only while calls
 * are in flight. It takes ~0.2 s to load, which must not count against a call's deadline: a call waits for
 * `whenReady` before its timer starts. If the thread dies, its calls fail as connection errors (retried like any)
 * and the next call starts a new one.
 */
import { Worker } from "node:worker_threads"
import { Effect, Either } from "effect"
import type { Scope } from "effect"
import type OpenAI from "openai"
import { APIConnectionError } from "openai"
import type { FromThread } from "./ModelThreadProtocol.ts"
import { receivedFailure } from "./ModelThreadProtocol.ts"
import type { SdkOptions } from "./Sdk.ts"
import type { ChunkSource } from "./ThreadStream.ts"
import { makeThreadStream } from "./ThreadStream.ts"
import { makeToolListRefs } from "./ToolListRefs.ts"

export type CallOutcome = Either.Either<OpenAI.ChatCompletion, Error>

export interface ModelThread {
  /** True once the thread has loaded and answers calls. */
  readonly ready: () => boolean
  /** Waits for the thread to load (or to fail loading: calls then fail as connection errors). */
  readonly whenReady: Effect.Effect<void>
  /** Starts a call; `done` gets its outcome unless it is aborted first. Returns the call's id. */
  readonly call: (body: OpenAI.ChatCompletionCreateParamsNonStreaming, done: (outcome: CallOutcome) => void) => number
  /** Starts a streamed call: its chunks once the response arrives. Returns the call's id too. */
  readonly stream: (body: OpenAI.ChatCompletionCreateParamsStreaming) => { readonly id: number; readonly opened: Promise<ChunkSource> }
  /** Aborts a call or stream (on the thread too); a call's `done` is never called. */
  readonly abort: (id: number) => void
}

// A worker thread does not inherit the event loop's module hooks: it registers Tau's TypeScript loader itself.
const loaderUrl = new URL("../../../../bin/loader.mjs", import.meta.url).href
const workerUrl = new URL("./ModelThreadWorker.ts", import.meta.url).href
const bootstrap = `require("node:module").register(${JSON.stringify(loaderUrl)}); import(${JSON.stringify(workerUrl)})`

/** Tool lists the thread keeps at most (the longest kept dropped first). */
const KEPT_TOOL_LISTS = 32

/** What becomes of a call's or stream's messages from the thread, and of the thread's death. */
interface Handler {
  readonly receive: (message: Exclude<FromThread, { readonly _tag: "Ready" }>) => void
  readonly fail: (error: Error) => void
}

export const makeModelThread = (init: SdkOptions): Effect.Effect<ModelThread, never, Scope.Scope> =>
  Effect.gen(function*() {
    let worker: Worker | undefined
    let loaded = false
    let waiting: Array<() => void> = []
    const release = () => {
      const waiters = waiting
      waiting = []
      for (const wake of waiters) wake()
    }
    let nextId = 0
    const handlers = new Map<number, Handler>()
    const toolLists = makeToolListRefs(KEPT_TOOL_LISTS)

    const finished = (id: number) => {
      handlers.delete(id)
      if (handlers.size === 0) worker?.unref()
    }

    const failAll = (message: string) => {
      const error = new APIConnectionError({ message })
      for (const [id, handler] of [...handlers]) {
        finished(id)
        handler.fail(error)
      }
    }

    const start = (): Worker => {
      loaded = false
      toolLists.reset()
      const started = new Worker(bootstrap, { eval: true, workerData: init })
      // Referenced only while calls are in flight (see `begin` and `finished`).
      started.unref()
      started.on("message", (message: FromThread) => {
        if (message._tag === "Ready") {
          loaded = true
          return release()
        }
        handlers.get(message.id)?.receive(message)
      })
      started.on("error", (error) => failAll(`the model thread failed: ${error.message}`))
      started.on("exit", (code) => {
        if (worker === started) worker = undefined
        failAll(`the model thread stopped (exit code ${code})`)
        release()
      })
      return started
    }

    /** Registers a call or stream and posts it, its tool list by reference when the thread keeps it. */
    const begin = <B extends { readonly tools?: OpenAI.ChatCompletionCreateParams["tools"] }>(
      tag: "Call" | "Stream",
      body: B,
      handler: (id: number) => Handler
    ): number => {
      const running = worker ??= start()
      const id = ++nextId
      running.ref()
      handlers.set(id, handler(id))
      const ref = toolLists.refFor(body.tools)
      if (ref === undefined) running.postMessage({ _tag: tag, id, body })
      else {
        const { tools: _sentByRef, ...rest } = body
        running.postMessage({ _tag: tag, id, body: rest, tools: ref })
      }
      return id
    }

    const abort = (id: number) => {
      if (!handlers.has(id)) return
      finished(id)
      worker?.postMessage({ _tag: "Abort", id })
    }

    worker = start()

    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const running = worker
        worker = undefined
        if (running !== undefined) await running.terminate()
      })
    )

    return {
      ready: () => loaded && worker !== undefined,
      whenReady: Effect.async<void>((resume) => {
        worker ??= start()
        if (loaded) return resume(Effect.void)
        const wake = () => resume(Effect.void)
        waiting.push(wake)
        return Effect.sync(() => {
          waiting = waiting.filter((w) => w !== wake)
        })
      }),
      call: (body, done) =>
        begin("Call", body, (id) => ({
          receive: (message) => {
            if (message._tag !== "Completed" && message._tag !== "Failed") return
            finished(id)
            done(message._tag === "Completed" ? Either.right(message.completion) : Either.left(receivedFailure(message.failure)))
          },
          fail: (error) => done(Either.left(error))
        })),
      stream: (body) => {
        let stream: ReturnType<typeof makeThreadStream> | undefined
        const id = begin("Stream", body, (id) => {
          stream = makeThreadStream(() => abort(id))
          const current = stream
          return {
            receive: (message) => {
              switch (message._tag) {
                case "Opened":
                  return current.opening()
                case "Chunks":
                  if (message.end) finished(id)
                  return current.received(message.chunks, message.end)
                case "Failed":
                  finished(id)
                  return current.failed(receivedFailure(message.failure))
              }
            },
            fail: current.failed
          }
        })
        return { id, opened: stream!.opened }
      },
      abort
    } satisfies ModelThread
  })
