/**
 * The event loop's end of a streamed call on the model thread: the thread's Opened / Chunks / Failed messages in,
 * a ChunkSource out (Transport.ts wraps the SDK's own stream in one too), so StreamCall reads both alike. The
 * chunks are queued as they arrive, and a read takes all of them; a model's answer is bounded by its token limit.
 */
import type OpenAI from "openai"

type Chunk = OpenAI.ChatCompletionChunk

/** What StreamCall reads a stream through, on the thread or not. */
export interface ChunkSource {
  /** The chunks that have arrived since the last read (waiting for one if none has), or undefined at the end. */
  readonly next: () => Promise<ReadonlyArray<Chunk> | undefined>
  /** Stops the stream (and its request); a read waiting on it ends. */
  readonly abort: () => void
}

export interface ThreadStream {
  /** Resolves when the response has arrived; rejects if the call failed before that. */
  readonly opened: Promise<ChunkSource>
  readonly opening: () => void
  readonly received: (chunks: ReadonlyArray<Chunk>, end: boolean) => void
  readonly failed: (error: Error) => void
}

const abortError = () => new DOMException("This operation was aborted", "AbortError")

export const makeThreadStream = (abort: () => void): ThreadStream => {
  const queue: Array<Chunk> = []
  let ended = false
  let failure: Error | undefined
  let isOpen = false
  let waiter: { readonly resolve: (chunks: ReadonlyArray<Chunk> | undefined) => void; readonly reject: (e: Error) => void } | undefined
  let open!: { readonly resolve: (source: ChunkSource) => void; readonly reject: (e: Error) => void }
  const opened = new Promise<ChunkSource>((resolve, reject) => {
    open = { resolve, reject }
  })

  const wake = () => {
    const w = waiter
    if (w === undefined) return
    if (queue.length > 0) {
      waiter = undefined
      w.resolve(queue.splice(0))
    } else if (failure !== undefined) {
      waiter = undefined
      w.reject(failure)
    } else if (ended) {
      waiter = undefined
      w.resolve(undefined)
    }
  }

  const source: ChunkSource = {
    next: () =>
      new Promise((resolve, reject) => {
        waiter = { resolve, reject }
        wake()
      }),
    abort: () => {
      if (!ended && failure === undefined) {
        failure = abortError()
        abort()
      }
      wake()
    }
  }

  return {
    opened,
    opening: () => {
      isOpen = true
      open.resolve(source)
    },
    received: (chunks, end) => {
      for (const chunk of chunks) queue.push(chunk)
      if (end) ended = true
      wake()
    },
    failed: (error) => {
      if (!isOpen) return open.reject(error)
      failure ??= error
      wake()
    }
  }
}
