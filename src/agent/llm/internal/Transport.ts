/**
 * How a model call reaches the `openai` SDK: on the model thread (ModelThread.ts, the default) or on the event
 * loop. Everything around a call — deadlines, retries, breakers, parsing — is the same either way.
 */
import { Either } from "effect"
import type { Effect } from "effect"
import type OpenAI from "openai"
import type { CallOutcome, ModelThread } from "./ModelThread.ts"
import type { ChunkSource } from "./ThreadStream.ts"

export interface Transport {
  /** Starts a non-streamed call; `done` gets its outcome unless the returned function aborts it first. */
  readonly call: (body: OpenAI.ChatCompletionCreateParamsNonStreaming, done: (outcome: CallOutcome) => void) => () => void
  /** Opens a streamed call: its chunks once the response has arrived; aborting `signal` aborts it. */
  readonly openStream: (body: OpenAI.ChatCompletionCreateParamsStreaming, signal: AbortSignal) => Promise<ChunkSource>
  /** What a call waits for before its deadline starts (the thread loading), or undefined: nothing. */
  readonly notReady: () => Effect.Effect<void> | undefined
}

export const sdkTransport = (sdk: OpenAI): Transport => ({
  call: (body, done) => {
    const controller = new AbortController()
    sdk.chat.completions.create(body, { signal: controller.signal }).then(
      (completion) => done(Either.right(completion)),
      (cause: unknown) => done(Either.left(cause instanceof Error ? cause : new Error(String(cause))))
    )
    return () => controller.abort()
  },
  openStream: (body, signal) =>
    sdk.chat.completions.create(body, { signal }).then((stream): ChunkSource => {
      const iterator = stream[Symbol.asyncIterator]()
      return {
        next: () => iterator.next().then((result) => (result.done === true ? undefined : [result.value])),
        abort: () => stream.controller.abort()
      }
    }),
  notReady: () => undefined
})

export const threadTransport = (thread: ModelThread): Transport => ({
  call: (body, done) => {
    const id = thread.call(body, done)
    return () => thread.abort(id)
  },
  openStream: (body, signal) => {
    const { id, opened } = thread.stream(body)
    signal.addEventListener("abort", () => thread.abort(id), { once: true })
    return opened
  },
  notReady: () => (thread.ready() ? undefined : thread.whenReady)
})
