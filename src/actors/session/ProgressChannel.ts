/**
 * A request's progress as a stream: the actor's emits go into a plain buffer, and each read of the stream takes
 * everything buffered at once (a Queue of Takes cost a hand-off and several stream stages per item). The actor
 * never waits for the reader: a message's progress is bounded by its turn. Once the reader has gone (`close`),
 * progress is dropped.
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { SendError } from "./Host.ts"
import type { SessionProgress, SessionReply } from "./Progress.ts"

export interface ProgressChannel {
  readonly emit: (progress: SessionProgress) => void
  readonly done: (result: Either.Either<SessionReply, SendError>) => Effect.Effect<void>
  readonly close: () => void
  /** The progress, ending when the request is done (failing with its error). */
  readonly stream: Stream.Stream<SessionProgress, SendError>
}

export const makeProgressChannel = (): ProgressChannel => {
  let buffer: Array<SessionProgress> = []
  let result: Either.Either<SessionReply, SendError> | undefined
  let closed = false
  let wake: (() => void) | undefined
  const wakeReader = () => {
    const reader = wake
    wake = undefined
    reader?.()
  }
  const taken = (): Effect.Effect<Chunk.Chunk<SessionProgress>, Option.Option<SendError>> | undefined => {
    if (buffer.length > 0) {
      const items = buffer
      buffer = []
      return Effect.succeed(Chunk.unsafeFromArray(items))
    }
    if (result === undefined) return undefined
    return Either.isRight(result) ? Effect.fail(Option.none()) : Effect.fail(Option.some(result.left))
  }
  const read = Effect.async<Chunk.Chunk<SessionProgress>, Option.Option<SendError>>((resume) => {
    const now = taken()
    if (now !== undefined) return resume(now)
    wake = () => resume(taken()!)
    return Effect.sync(() => {
      wake = undefined
    })
  })
  return {
    emit: (progress) => {
      if (closed) return
      buffer.push(progress)
      wakeReader()
    },
    done: (outcome) =>
      Effect.sync(() => {
        result = outcome
        wakeReader()
      }),
    close: () => {
      closed = true
      buffer = []
    },
    stream: Stream.repeatEffectChunkOption(read)
  }
}
