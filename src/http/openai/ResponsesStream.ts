/**
 * The Responses API event stream for one request: response.created and response.in_progress, then the
 * assistant message as output_item.added, content_part.added, an output_text.delta per TextDelta, and the
 * .done events, then response.completed; or response.failed when the turn ends without a reply. Every event
 * carries `type` and a `sequence_number`, as the openai SDK's ResponseStream accumulates them.
 */
import type { HttpServerResponse } from "@effect/platform"
import { Stream } from "effect"
import type { Duration } from "effect"
import type { SendError } from "../../actors/session/Host.ts"
import type { SessionProgress, SessionReply } from "../../actors/session/Progress.ts"
import type { SessionEvent } from "../../events/TauEvent.ts"
import type { ResponseHead } from "./ResponsesApi.ts"
import { answeredBy, messageItem, outputText, responseObject, usageOf } from "./ResponsesApi.ts"
import type { OpenAiFailure } from "./SendErrors.ts"
import { failureOfReply, failureOfSendError } from "./SendErrors.ts"
import { eventFrame, sseResponse } from "./Sse.ts"

export const streamResponse = (
  progress: Stream.Stream<SessionProgress, SendError>,
  head: ResponseHead,
  headers: Readonly<Record<string, string>>,
  heartbeat?: Duration.Duration
): HttpServerResponse.HttpServerResponse => {
  let sequence = 0
  let opened = false
  let streamed = ""
  let finished = false
  const events: Array<SessionEvent> = []
  const where = { item_id: messageItem(head, undefined).id, output_index: 0, content_index: 0 }

  const frame = (type: string, fields: Record<string, unknown>) =>
    eventFrame(type, { type, sequence_number: sequence++, ...fields })

  const open = (frames: Array<string>) => {
    if (opened) return
    opened = true
    frames.push(
      frame("response.output_item.added", { output_index: 0, item: messageItem(head, undefined) }),
      frame("response.content_part.added", { ...where, part: outputText("") })
    )
  }

  const failed = (failure: OpenAiFailure): Array<string> => {
    finished = true
    return [frame("response.failed", { response: responseObject(head, { status: "failed", failure, usage: usageOf(events) }) })]
  }

  const finish = (reply: SessionReply): Array<string> => {
    finished = true
    const failure = failureOfReply(reply, events)
    if (failure !== undefined) return failed(failure)
    const text = reply.reply!.content
    const frames: Array<string> = []
    open(frames)
    if (streamed.length === 0 && text.length > 0) frames.push(frame("response.output_text.delta", { ...where, delta: text, logprobs: [] }))
    const done = { ...head, model: answeredBy(events, head.model) }
    frames.push(
      frame("response.output_text.done", { ...where, text, logprobs: [] }),
      frame("response.content_part.done", { ...where, part: outputText(text) }),
      frame("response.output_item.done", { output_index: 0, item: messageItem(head, text) }),
      frame("response.completed", { response: responseObject(done, { status: "completed", text, usage: usageOf(events) }) })
    )
    return frames
  }

  const step = (p: SessionProgress): Array<string> => {
    switch (p._tag) {
      case "Event":
        events.push(p.event)
        return []
      case "TextDelta": {
        const frames: Array<string> = []
        open(frames)
        streamed += p.text
        frames.push(frame("response.output_text.delta", { ...where, delta: p.text, logprobs: [] }))
        return frames
      }
      case "Finished":
        return finish(p.reply)
    }
  }

  const initial = responseObject(head, { status: "in_progress" })
  const frames = Stream.make(
    frame("response.created", { response: initial }),
    frame("response.in_progress", { response: initial })
  ).pipe(
    Stream.concat(Stream.mapConcat(progress, step)),
    Stream.catchAll((error) => Stream.fromIterable(failed(failureOfSendError(error)))),
    Stream.concat(Stream.suspend(() =>
      Stream.fromIterable(
        finished ? [] : failed({ status: 500, message: "the session ended without a reply", code: "no_reply" })
      )
    ))
  )
  return sseResponse(frames, { headers, heartbeat })
}
