/**
 * The OpenAI Responses API as Tau speaks it: the request body schema, how the new user message is read from
 * `input`, response ids (`resp_<sessionId>_<version>`: the session and the stream version of the request's
 * first event), and the Response objects and stream events the openai SDK expects.
 */
import { Option, Schema } from "effect"
import { SessionId } from "../../domain/Ids.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { invalidRequest } from "./SendErrors.ts"

const ContentPart = Schema.Struct({ type: Schema.String, text: Schema.optional(Schema.String) })

const InputItem = Schema.Struct({
  type: Schema.optional(Schema.String),
  role: Schema.optional(Schema.String),
  content: Schema.optional(Schema.Union(Schema.String, Schema.Array(ContentPart)))
})

export const ResponsesRequest = Schema.Struct({
  input: Schema.Union(Schema.String, Schema.Array(InputItem)),
  model: Schema.optional(Schema.String),
  instructions: Schema.optional(Schema.NullOr(Schema.String)),
  previous_response_id: Schema.optional(Schema.NullOr(Schema.String)),
  stream: Schema.optional(Schema.NullOr(Schema.Boolean)),
  store: Schema.optional(Schema.NullOr(Schema.Boolean)),
  user: Schema.optional(Schema.NullOr(Schema.String)),
  metadata: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })))
})
export type ResponsesRequest = typeof ResponsesRequest.Type

const textParts = new Set(["input_text", "output_text", "text"])

const textOf = (content: typeof InputItem.Type["content"], index: number): string | OpenAiFailure => {
  if (content === undefined) return ""
  if (typeof content === "string") return content
  const texts: Array<string> = []
  for (const [j, part] of content.entries()) {
    if (!textParts.has(part.type) || part.text === undefined) {
      return invalidRequest(`content of type "${part.type}" is not supported; send input_text`, `input[${index}].content[${j}].type`)
    }
    texts.push(part.text)
  }
  return texts.join("\n")
}

/**
 * The message Tau's agent gets: the latest user item of `input` (earlier items are history the session
 * already holds), after `instructions` and any system/developer items that follow the previous user item.
 */
export const messageOf = (request: ResponsesRequest): string | OpenAiFailure => {
  const preamble = request.instructions == null || request.instructions.trim().length === 0 ? [] : [request.instructions]
  if (typeof request.input === "string") {
    if (request.input.trim().length === 0) return invalidRequest("input must not be empty", "input")
    return [...preamble, request.input].join("\n\n")
  }
  const items = request.input
  let user = -1
  for (let i = items.length - 1; i >= 0 && user < 0; i--) {
    const item = items[i]!
    if (item.role === "user" && (item.type === undefined || item.type === "message")) user = i
  }
  if (user < 0) return invalidRequest("input has no user message", "input")
  const system: Array<string> = []
  for (let i = user - 1; i >= 0; i--) {
    const item = items[i]!
    if (item.role === "user" || item.role === "assistant") break
    if (item.role === "system" || item.role === "developer") {
      const text = textOf(item.content, i)
      if (typeof text !== "string") return text
      if (text.trim().length > 0) system.unshift(text)
    }
  }
  const text = textOf(items[user]!.content, user)
  if (typeof text !== "string") return text
  if (text.trim().length === 0) return invalidRequest("the user message is empty", `input[${user}].content`)
  return [...preamble, ...system, text].join("\n\n")
}

export const responseId = (sessionId: SessionId, version: number): string => `resp_${sessionId}_${version}`

const isSessionId = Schema.is(SessionId)

/** The session a response id names, if it is one of ours. */
export const sessionOfResponseId = (id: string): Option.Option<{ readonly sessionId: SessionId; readonly version: number }> => {
  const match = /^resp_(.+)_(\d+)$/.exec(id)
  if (match === null || !isSessionId(match[1])) return Option.none()
  return Option.some({ sessionId: match[1], version: Number(match[2]) })
}

export interface Usage {
  readonly input_tokens: number
  readonly output_tokens: number
  readonly total_tokens: number
  readonly cached_tokens: number
}

/** Token usage of the model calls made for one request (the reply's counters are the session's totals). */
export const usageOf = (events: ReadonlyArray<SessionEvent>): Usage => {
  let input = 0
  let output = 0
  let cached = 0
  for (const event of events) {
    if (event._tag !== "ModelResponded") continue
    input += event.usage.promptTokens
    output += event.usage.completionTokens
    cached += event.usage.cachedTokens ?? 0
  }
  return { input_tokens: input, output_tokens: output, total_tokens: input + output, cached_tokens: cached }
}

/** The model that answered last, for the finished Response object. */
export const answeredBy = (events: ReadonlyArray<SessionEvent>, fallback: string): string => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!
    if (event._tag === "ModelResponded") return event.model
  }
  return fallback
}

export interface ResponseHead {
  readonly id: string
  readonly createdAt: number
  readonly model: string
  readonly instructions: string | null
  readonly previousResponseId: string | null
  readonly user: string | null
  readonly metadata: Readonly<Record<string, string>>
}

export const messageItem = (head: ResponseHead, text: string | undefined) => ({
  type: "message" as const,
  id: `msg_${head.id.slice(5)}`,
  status: text === undefined ? "in_progress" as const : "completed" as const,
  role: "assistant" as const,
  content: text === undefined ? [] : [outputText(text)]
})

export const outputText = (text: string) => ({ type: "output_text" as const, text, annotations: [], logprobs: [] })

/** A Response object; `output` holds the assistant message once there is one. */
export const responseObject = (
  head: ResponseHead,
  state:
    | { readonly status: "in_progress" }
    | { readonly status: "completed"; readonly text: string; readonly usage: Usage }
    | { readonly status: "failed"; readonly failure: OpenAiFailure; readonly usage: Usage }
) => ({
  id: head.id,
  object: "response" as const,
  created_at: head.createdAt,
  status: state.status,
  error: state.status === "failed" ? { code: state.failure.code, message: state.failure.message } : null,
  incomplete_details: null,
  instructions: head.instructions,
  max_output_tokens: null,
  metadata: head.metadata,
  model: head.model,
  output: state.status === "completed" ? [messageItem(head, state.text)] : [],
  ...(state.status === "completed" ? { output_text: state.text } : {}),
  parallel_tool_calls: false,
  previous_response_id: head.previousResponseId,
  store: true,
  temperature: null,
  text: { format: { type: "text" as const } },
  tool_choice: "auto" as const,
  tools: [],
  top_p: null,
  truncation: "disabled" as const,
  usage: state.status === "in_progress"
    ? null
    : {
      input_tokens: state.usage.input_tokens,
      input_tokens_details: { cached_tokens: state.usage.cached_tokens },
      output_tokens: state.usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: state.usage.total_tokens
    },
  user: head.user
})
