/**
 * Starting a Chat Completions stream: the first element is pulled before the response is committed, so a
 * failure that comes first (an ended session, a busy one, a model that refuses) is answered with its HTTP
 * status instead of a 200 followed by an error event.
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { Scope } from "effect"

export type Started<A, E> =
  | { readonly _tag: "Failed"; readonly error: E }
  | { readonly _tag: "Started"; readonly stream: Stream.Stream<A, E> }

export const startStream = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Started<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(stream)
    const first = yield* Effect.either(pull)
    if (Either.isLeft(first)) {
      return Option.match(first.left, {
        onNone: () => ({ _tag: "Started", stream: Stream.empty }) as const,
        onSome: (error) => ({ _tag: "Failed", error }) as const
      })
    }
    return {
      _tag: "Started",
      stream: Stream.concat(Stream.fromChunk(first.right), Stream.repeatEffectChunkOption(pull))
    } as const
  })

/** Frames of a stream whose failure becomes a last frame (the body of a streaming response must not fail). */
export const framesOf = <A, E>(
  stream: Stream.Stream<A, E>,
  step: (item: A) => ReadonlyArray<string>,
  onError: (error: E) => string
): Stream.Stream<string> =>
  stream.pipe(
    Stream.mapChunks((chunk) => Chunk.flatMap(chunk, (item) => Chunk.unsafeFromArray(step(item)))),
    Stream.catchAll((error) => Stream.succeed(onError(error)))
  )
