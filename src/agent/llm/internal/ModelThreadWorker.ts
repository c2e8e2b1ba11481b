/**
 * The model thread's body (started by ModelThread.ts): one `openai` client, made as the event loop's would be,
 * answering Call messages with the parsed completion or the failure's parts, and aborting a call on Abort.
 */
import { parentPort, workerData } from "node:worker_threads"
import OpenAI from "openai"
import { nodeFetch } from "../NodeFetch.ts"
import type { FromThread, ModelThreadInit, ToThread } from "./ModelThreadProtocol.ts"
import { sendFailure } from "./ModelThreadProtocol.ts"

const port = parentPort
if (port === null) throw new Error("ModelThreadWorker runs on a worker thread")
const init = workerData as ModelThreadInit

const sdk = new OpenAI({
  apiKey: init.apiKey,
  baseURL: init.baseURL,
  organization: null,
  project: null,
  adminAPIKey: null,
  webhookSecret: null,
  maxRetries: 0,
  timeout: init.timeoutMs,
  logLevel: "off",
  fetch: nodeFetch
})

const running = new Map<number, AbortController>()
const toolLists = new Map<number, OpenAI.ChatCompletionCreateParamsNonStreaming["tools"]>()

/** The call's body with its tool list put back; throws if the list was never defined here (a bug). */
const bodyOf = (message: Extract<ToThread, { _tag: "Call" }>): OpenAI.ChatCompletionCreateParamsNonStreaming => {
  const ref = message.tools
  if (ref === undefined) return message.body
  if (ref.forget !== undefined) toolLists.delete(ref.forget)
  if (ref.define !== undefined) toolLists.set(ref.id, ref.define)
  const tools = toolLists.get(ref.id)
  if (tools === undefined) throw new Error(`the model thread has no tool list ${ref.id}`)
  return { ...message.body, tools }
}

const reply = (message: FromThread) => port.postMessage(message)

port.on("message", (message: ToThread) => {
  if (message._tag === "Abort") {
    running.get(message.id)?.abort()
    running.delete(message.id)
    return
  }
  const id = message.id
  let body: OpenAI.ChatCompletionCreateParamsNonStreaming
  try {
    body = bodyOf(message)
  } catch (cause) {
    return reply({ _tag: "Failed", id, failure: sendFailure(cause) })
  }
  const controller = new AbortController()
  running.set(id, controller)
  sdk.chat.completions.create(body, { signal: controller.signal }).then(
    (completion) => {
      if (running.delete(id)) reply({ _tag: "Completed", id, completion })
    },
    (cause: unknown) => {
      if (running.delete(id)) reply({ _tag: "Failed", id, failure: sendFailure(cause) })
    }
  )
})

reply({ _tag: "Ready" })
