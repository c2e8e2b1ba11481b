/**
 * Heartbeats on server-sent event streams: every frame arrives once and in order however the source chunks and
 * paces them, a heartbeat fills each silence, a failing source fails the stream, and a slow reader holds the
 * source back instead of buffering it.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { Chunk, Duration, Effect, Either, Stream } from "effect"
import { heartbeatFrame, withHeartbeat } from "../../src/http/Sse.ts"

const beat = Duration.millis(40)

describe("withHeartbeat", () => {
  it.live("frames come through once and in order, whatever their chunks and pauses; only heartbeats are added", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ frames: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }), pauseMs: fc.constantFrom(0, 0, 1, 60) }), { maxLength: 8 }),
          async (pieces) => {
            const source = Stream.fromIterable(pieces).pipe(
              Stream.mapEffect((piece) => Effect.as(Effect.sleep(Duration.millis(piece.pauseMs)), Chunk.unsafeFromArray(piece.frames))),
              Stream.flattenChunks
            )
            const out = await Effect.runPromise(Stream.runCollect(withHeartbeat(source, beat)))
            const frames = Chunk.toReadonlyArray(out).filter((frame) => frame !== heartbeatFrame)
            assert.deepStrictEqual(frames, pieces.flatMap((piece) => piece.frames))
          }
        ),
        { numRuns: 25 }
      )
    ))

  it.live("a silence longer than the interval is filled with heartbeats", () =>
    Effect.gen(function*() {
      const source = Stream.concat(Stream.make("a"), Stream.fromEffect(Effect.as(Effect.sleep(Duration.millis(150)), "b")))
      const out = Chunk.toReadonlyArray(yield* Stream.runCollect(withHeartbeat(source, beat)))
      assert.strictEqual(out[0], "a")
      assert.strictEqual(out.at(-1), "b")
      assert.isAtLeast(out.filter((frame) => frame === heartbeatFrame).length, 2)
    }))

  it.live("a failing source fails the stream after the frames before the failure", () =>
    Effect.gen(function*() {
      const source = Stream.concat(Stream.make("a", "b"), Stream.fail("broken"))
      const seen: Array<string> = []
      const result = yield* Stream.runForEach(withHeartbeat(source, beat), (frame) => Effect.sync(() => void seen.push(frame))).pipe(Effect.either)
      assert.deepStrictEqual(seen, ["a", "b"])
      assert.deepStrictEqual(result, Either.left("broken"))
    }))

  it.scopedLive("a reader that stops reading holds the source back", () =>
    Effect.gen(function*() {
      let produced = 0
      const source = Stream.repeatEffect(Effect.sync(() => String(++produced))).pipe(Stream.rechunk(1))
      const pull = yield* Stream.toPull(withHeartbeat(source, beat))
      const first = yield* pull
      assert.isAbove(Chunk.size(first), 0)
      yield* Effect.sleep(Duration.millis(100))
      // What was read, plus at most the read-ahead (16 chunks of one frame) and the one being offered.
      assert.isAtMost(produced, Chunk.size(first) + 17)
    }))
})
