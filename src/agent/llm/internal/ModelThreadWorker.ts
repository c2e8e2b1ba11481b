/**
 * The model thread's body (started by ModelThread.ts): one `openai` client, made as the event loop's would be,
 * answering a Call with the parsed completion, a Stream with Opened and then its chunks, either with the
 * failure's parts, and aborting either on Abort.
 */
import { parentPort, workerData } from "node:worker_threads"
import type OpenAI from "openai"
import type { FromThread, ToolsRef, ToThread, WireTools } from "./ModelThreadProtocol.ts"
import { sendFailure } from "./ModelThreadProtocol.ts"
import type { SdkOptions } from "./Sdk.ts"
import { makeSdk } from "./Sdk.ts"

const port = parentPort
if (port === null) throw new Error("ModelThreadWorker runs on a worker thread")
const sdk = makeSdk(workerData as SdkOptions)

const running = new Map<number, AbortController>()
const toolLists = new Map<number, WireTools>()

/** The body with its tool list put back; throws if the list was never defined here (a bug). */
const bodyOf = <B>(message: { readonly body: B; readonly tools?: ToolsRef }): B => {
  const ref = message.tools
  if (ref === undefined) return message.body
  if (ref.forget !== undefined) toolLists.delete(ref.forget)
  if (ref.define !== undefined) toolLists.set(ref.id, ref.define)
  const tools = toolLists.get(ref.id)
  if (tools === undefined) throw new Error(`the model thread has no tool list ${ref.id}`)
  return { ...message.body, tools }
}

const reply = (message: FromThread) => port.postMessage(message)
const failed = (id: number) => (cause: unknown) => {
  if (running.delete(id)) reply({ _tag: "Failed", id, failure: sendFailure(cause) })
}

const call = (id: number, body: OpenAI.ChatCompletionCreateParamsNonStreaming, signal: AbortSignal) =>
  sdk.chat.completions.create(body, { signal }).then((completion) => {
    if (running.delete(id)) reply({ _tag: "Completed", id, completion })
  }, failed(id))

/** The chunks parsed in one turn of this thread's loop go as one message. */
const stream = async (id: number, body: OpenAI.ChatCompletionCreateParamsStreaming, signal: AbortSignal) => {
  const chunks = await sdk.chat.completions.create(body, { signal })
  if (!running.has(id)) return chunks.controller.abort()
  reply({ _tag: "Opened", id })
  let batch: Array<OpenAI.ChatCompletionChunk> = []
  let flushing: NodeJS.Immediate | undefined
  const flush = (end: boolean) => {
    flushing = undefined
    if (!running.has(id)) return
    if (end) running.delete(id)
    const sent = batch
    batch = []
    reply({ _tag: "Chunks", id, chunks: sent, end })
  }
  for await (const chunk of chunks) {
    if (!running.has(id)) return
    batch.push(chunk)
    flushing ??= setImmediate(flush, false)
  }
  if (flushing !== undefined) clearImmediate(flushing)
  flush(true)
}

port.on("message", (message: ToThread) => {
  if (message._tag === "Abort") {
    running.get(message.id)?.abort()
    running.delete(message.id)
    return
  }
  const id = message.id
  const controller = new AbortController()
  running.set(id, controller)
  try {
    if (message._tag === "Call") void call(id, bodyOf(message), controller.signal)
    else stream(id, bodyOf(message), controller.signal).catch(failed(id))
  } catch (cause) {
    failed(id)(cause)
  }
})

reply({ _tag: "Ready" })
