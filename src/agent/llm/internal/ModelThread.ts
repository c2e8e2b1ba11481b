/**
 * Non-streamed model calls on a worker thread. The `openai` SDK spends ~0.3 ms of CPU on each call (building
 * and serialising the request, its headers and abort signals, the HTTP client, parsing the answer) — on the event
 * loop that serves every session and request, about a sixth of a gateway agent turn. On the thread, the event loop
 * pays ~0.03 ms: posting the request body and receiving the parsed completion (docs/models.md).
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
import type { FromThread, ModelThreadInit, ToolsRef, ToThread } from "./ModelThreadProtocol.ts"
import { receivedFailure } from "./ModelThreadProtocol.ts"

export type CallOutcome = Either.Either<OpenAI.ChatCompletion, Error>

export interface ModelThread {
  /** True once the thread has loaded and answers calls. */
  readonly ready: () => boolean
  /** Waits for the thread to load (or to fail loading: calls then fail as connection errors). */
  readonly whenReady: Effect.Effect<void>
  /** Starts a call; `done` gets its outcome unless it is aborted first. Returns the call's id. */
  readonly call: (body: OpenAI.ChatCompletionCreateParamsNonStreaming, done: (outcome: CallOutcome) => void) => number
  /** Aborts a call (on the thread too); its `done` is never called. */
  readonly abort: (id: number) => void
}

// A worker thread does not inherit the event loop's module hooks: it registers Tau's TypeScript loader itself.
const loaderUrl = new URL("../../../../bin/loader.mjs", import.meta.url).href
const workerUrl = new URL("./ModelThreadWorker.ts", import.meta.url).href
const bootstrap = `require("node:module").register(${JSON.stringify(loaderUrl)}); import(${JSON.stringify(workerUrl)})`

/** Tool lists the thread keeps at most (least recently defined dropped first). */
const KEPT_TOOL_LISTS = 32

type Tools = OpenAI.ChatCompletionCreateParamsNonStreaming["tools"]

export const makeModelThread = (init: ModelThreadInit): Effect.Effect<ModelThread, never, Scope.Scope> =>
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
    const pending = new Map<number, (outcome: CallOutcome) => void>()

    // Copying a message to the thread costs about as much as the SDK's own work on it, and most of a request is
    // its tool list (JSON schemas), which a run sends unchanged on every call: a list seen a second time is
    // defined on the thread once and then sent by id. A list seen once (a proxied client's own) goes inline.
    let toolIds = new WeakMap<object, number | "seen">()
    let kept = new Map<number, object>()
    let nextToolsId = 0
    /** The reference to send instead of `tools`, or undefined: send them inline. */
    const toolsRef = (tools: Tools): ToolsRef | undefined => {
      if (tools === undefined) return undefined
      const known = toolIds.get(tools)
      if (known === undefined) {
        toolIds.set(tools, "seen")
        return undefined
      }
      if (known !== "seen") return { id: known }
      const id = ++nextToolsId
      toolIds.set(tools, id)
      kept.set(id, tools)
      let forget: number | undefined
      if (kept.size > KEPT_TOOL_LISTS) {
        const [oldest, list] = kept.entries().next().value as [number, object]
        kept.delete(oldest)
        toolIds.delete(list)
        forget = oldest
      }
      return { id, define: tools, ...(forget !== undefined ? { forget } : {}) }
    }

    const settle = (id: number, outcome: CallOutcome) => {
      const done = pending.get(id)
      if (done === undefined) return
      pending.delete(id)
      if (pending.size === 0) worker?.unref()
      done(outcome)
    }

    const failAll = (message: string) => {
      const error = new APIConnectionError({ message })
      for (const id of [...pending.keys()]) settle(id, Either.left(error))
    }

    const start = (): Worker => {
      loaded = false
      // A new thread keeps no tool lists yet.
      toolIds = new WeakMap()
      kept = new Map()
      const started = new Worker(bootstrap, { eval: true, workerData: init })
      // Referenced only while calls are in flight (see `call` and `settle`).
      started.unref()
      started.on("message", (message: FromThread) => {
        if (message._tag === "Ready") {
          loaded = true
          return release()
        }
        settle(
          message.id,
          message._tag === "Completed" ? Either.right(message.completion) : Either.left(receivedFailure(message.failure))
        )
      })
      started.on("error", (error) => failAll(`the model thread failed: ${error.message}`))
      started.on("exit", (code) => {
        if (worker === started) worker = undefined
        failAll(`the model thread stopped (exit code ${code})`)
        release()
      })
      return started
    }

    const post = (message: ToThread) => worker?.postMessage(message)

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
      call: (body, done) => {
        worker ??= start()
        const id = ++nextId
        worker.ref()
        pending.set(id, done)
        const ref = toolsRef(body.tools)
        if (ref === undefined) post({ _tag: "Call", id, body })
        else {
          const { tools: _sentByRef, ...rest } = body
          post({ _tag: "Call", id, body: rest, tools: ref })
        }
        return id
      },
      abort: (id) => {
        if (!pending.delete(id)) return
        if (pending.size === 0) worker?.unref()
        post({ _tag: "Abort", id })
      }
    } satisfies ModelThread
  })
