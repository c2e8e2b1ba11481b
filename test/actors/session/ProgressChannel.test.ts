/**
 * A request's progress stream: whatever the interleaving of the actor's emits and the reader's reads, the reader
 * sees every item once, in order, then the end (or the request's error); after the reader has gone, emits are
 * dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Chunk, Duration, Effect, Either, Fiber, Stream } from "effect"
import { makeProgressChannel } from "../../../src/actors/session/ProgressChannel.ts"
import type { SendError } from "../../../src/actors/session/Host.ts"
import type { SessionProgress, SessionReply } from "../../../src/actors/session/Progress.ts"
import { SessionStorageError } from "../../../src/actors/session/Errors.ts"
import { SessionId } from "../../../src/domain/Ids.ts"

const sessionId = SessionId.make("0190d6f4-0000-7000-8000-000000000001")
const delta = (i: number): SessionProgress => ({ _tag: "TextDelta", turn: 1, text: `t${i}` })
const reply: SessionReply = {
  sessionId,
  inboundBlocked: false,
  status: "ready",
  turns: 1,
  costUsd: 0,
  promptTokens: 0,
  completionTokens: 0
}

describe("ProgressChannel", () => {
  it.live("every emitted item is read once and in order, then the end or the error, however emits and reads interleave", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.nat(3), { maxLength: 30 }),
          fc.boolean(),
          fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 5 }),
          async (pauses, fails, readerPauses) => {
            const program = Effect.gen(function*() {
              const channel = makeProgressChannel()
              let read = 0
              const reader = yield* Effect.fork(
                Stream.runCollect(Stream.tap(channel.stream, () =>
                  Effect.sleep(Duration.millis(readerPauses[read++ % readerPauses.length]!))
                )).pipe(Effect.either)
              )
              for (let i = 0; i < pauses.length; i++) {
                channel.emit(delta(i))
                if (pauses[i]! > 1) yield* Effect.sleep(Duration.millis(pauses[i]! - 1))
              }
              const error: SendError = new SessionStorageError({ sessionId, message: "gone" })
              yield* channel.done(fails ? Either.left(error) : Either.right(reply))
              const outcome = yield* Fiber.join(reader)
              const expected = pauses.map((_, i) => delta(i))
              if (fails) {
                assert.isTrue(Either.isLeft(outcome))
                assert.strictEqual(Either.isLeft(outcome) ? outcome.left : undefined, error)
              } else {
                assert.deepStrictEqual(Either.map(outcome, Chunk.toReadonlyArray), Either.right(expected))
              }
            })
            await Effect.runPromise(program)
          }
        ),
        { numRuns: 40 }
      )
    ))

  it.effect("a failed request still delivers what was emitted before it", () =>
    Effect.gen(function*() {
      const channel = makeProgressChannel()
      channel.emit(delta(1))
      channel.emit(delta(2))
      yield* channel.done(Either.left(new SessionStorageError({ sessionId, message: "gone" })))
      const seen: Array<SessionProgress> = []
      const outcome = yield* Stream.runForEach(channel.stream, (p) => Effect.sync(() => void seen.push(p))).pipe(Effect.either)
      assert.deepStrictEqual(seen, [delta(1), delta(2)])
      assert.isTrue(Either.isLeft(outcome))
    }))

  it.effect("after the reader has gone, emits are dropped", () =>
    Effect.gen(function*() {
      const channel = makeProgressChannel()
      channel.emit(delta(1))
      channel.close()
      channel.emit(delta(2))
      yield* channel.done(Either.right(reply))
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(channel.stream)), [])
    }))
})
