/**
 * Starting a Chat Completions stream: the first element is pulled before the response is committed, so a
 * failure that comes first (an ended session, a busy one, a model that refuses) is answered with its HTTP
 * status instead of a 200 followed by an error event. The frames are then made in one stream stage, straight
 * from the pull: each stage a streamed reply passes costs every read of it.
 */
import { Chunk, Effect, Either, Option, Stream } from "effect"
import type { Scope } from "effect"

export type Started<A, E> =
  | { readonly _tag: "Failed"; readonly error: E }
  | {
    readonly _tag: "Started"
    /** What the first read gave (empty when the stream had already ended). */
    readonly first: Chunk.Chunk<A>
    /** The reads after it; fails with None at the end. */
    readonly pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>
  }

const ended = Effect.fail(Option.none())

export const startStream = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Started<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const pull = yield* Stream.toPull(stream)
    const first = yield* Effect.either(pull)
    if (Either.isLeft(first)) {
      return Option.match(first.left, {
        onNone: () => ({ _tag: "Started", first: Chunk.empty<A>(), pull: ended }) as const,
        onSome: (error) => ({ _tag: "Failed", error }) as const
      })
    }
    return { _tag: "Started", first: first.right, pull } as const
  })

/**
 * The frames of a started stream: `head` first, then each item's frames from `step`; a failure becomes a last
 * frame from `onError` (the body of a streaming response must not fail).
 */
export const framesOf = <A, E>(
  started: Extract<Started<A, E>, { readonly _tag: "Started" }>,
  head: ReadonlyArray<string>,
  step: (item: A) => ReadonlyArray<string>,
  onError: (error: E) => string
): Stream.Stream<string> => {
  const framed = (items: Chunk.Chunk<A>, before: ReadonlyArray<string> = []) => {
    const out = [...before]
    for (const item of items) out.push(...step(item))
    return Chunk.unsafeFromArray(out)
  }
  let first: Chunk.Chunk<A> | undefined = started.first
  let failed = false
  const read: Effect.Effect<Chunk.Chunk<string>, Option.Option<never>> = Effect.suspend(() => {
    if (first !== undefined) {
      const items = first
      first = undefined
      return Effect.succeed(framed(items, head))
    }
    if (failed) return ended
    return Effect.matchEffect(started.pull, {
      onFailure: (error) => {
        if (Option.isNone(error)) return ended
        failed = true
        return Effect.succeed(Chunk.of(onError(error.value)))
      },
      onSuccess: (items) => Effect.succeed(framed(items))
    })
  })
  return Stream.repeatEffectChunkOption(read)
}
