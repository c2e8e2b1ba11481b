/**
 * One streaming call: attempts routed like non-streaming ones (retry, breaker, fallback), each attempt's
 * chunks folded into the shared Ledger so a retry emits only what the consumer has not seen yet. The stream
 * ends with a Completed delta carrying the assembled response.
 */
import { Chunk, Clock, Duration, Effect, Option, Stream } from "effect"
import type OpenAI from "openai"
import type { ChatCompletionChunk } from "openai/resources/chat/completions"
import { ModelName } from "../../../domain/Ids.ts"
import { timerDelay } from "../../../domain/Quantities.ts"
import type { Usage } from "../../../domain/ModelCall.ts"
import type { CircuitBreaker } from "../CircuitBreaker.ts"
import type { LlmSettings } from "../Config.ts"
import type { LanguageModelError } from "../Errors.ts"
import { LlmError } from "../Errors.ts"
import { costOf } from "../Pricing.ts"
import type { RateLimiter } from "../RateLimiter.ts"
import { estimateRequestTokens } from "../Tokens.ts"
import type { CallOptions, ModelRequest, StreamDelta } from "../Types.ts"
import { makeModelResponse } from "../Types.ts"
import type { Route } from "./Router.ts"
import { makeRouter } from "./Router.ts"
import { absorb, assemble, makeAttempt, makeLedger } from "./StreamAssembler.ts"
import type { ChunkSource } from "./ThreadStream.ts"
import { toLlmError, toWireParams } from "./Wire.ts"

export interface StreamCallOptions {
  /** Sends the request; the chunks once the response has arrived (the SDK's stream, or the model thread's). */
  readonly openStream: (body: OpenAI.ChatCompletionCreateParamsStreaming, signal: AbortSignal) => Promise<ChunkSource>
  readonly request: ModelRequest
  readonly settings: LlmSettings
  readonly official: boolean
  readonly models: ReadonlyArray<string>
  readonly breaker: CircuitBreaker
  readonly limiter: RateLimiter
  readonly estimateUsage: (content: string) => Usage
  readonly timeoutError: (model: string) => LlmError
  readonly callOptions: CallOptions
}

export const streamCall = (options: StreamCallOptions): Stream.Stream<StreamDelta, LanguageModelError> =>
  Stream.unwrap(Effect.gen(function*() {
    const { breaker, limiter, models, request, settings } = options
    const startedAt = yield* Clock.currentTimeMillis
    const estimate = estimateRequestTokens(request)
    const router = makeRouter(models, breaker, settings.retry, options.callOptions)
    const ledger = makeLedger()
    const idleMs = Duration.toMillis(settings.timeout)
    let firstTokenAt: number | undefined
    let attemptStart = startedAt

    const fail = (model: string) => (cause: unknown) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(toLlmError(model, cause, now)))

    const open = (model: string) =>
      Effect.acquireRelease(
        // acquireRelease runs its acquire uninterruptibly; opening the stream must stay interruptible (a cancel
        // while the server has not answered yet aborts the request through `signal`).
        Effect.interruptible(Effect.tryPromise({
          try: (signal) =>
            options.openStream({
              ...toWireParams(model, request, settings, options.official),
              stream: true,
              stream_options: { include_usage: true }
            }, signal),
          catch: (cause) => cause
        }).pipe(
          Effect.timeoutFail({ duration: settings.timeout, onTimeout: () => options.timeoutError(model) }),
          Effect.catchAll(fail(model))
        )),
        // Abort before anything waits on the source: a pending read would otherwise hold the finalizer.
        (source) => Effect.sync(() => source.abort())
      )

    const attempt = (route: Route): Stream.Stream<StreamDelta, LanguageModelError> => {
      const { model } = route
      const state = makeAttempt()
      // Whether the breaker hears about this attempt (success here, failure in router.next); if not, a
      // half-open trial it was granted is given back.
      let reported = false
      return Stream.unwrapScoped(Effect.gen(function*() {
        yield* limiter.acquire(estimate)
        attemptStart = yield* Clock.currentTimeMillis
        const source = yield* open(model)
        const clock = yield* Effect.clock
        // Every chunk that has arrived is read at once, under the idle deadline (a plain timer: Stream.timeoutFail
        // would race two fibres on every read); the model thread delivers a stream's chunks in batches.
        const read: Effect.Effect<Chunk.Chunk<ChatCompletionChunk>, Option.Option<LanguageModelError>> = Effect.async((resume) => {
          let settled = false
          const settle = (effect: Effect.Effect<Chunk.Chunk<ChatCompletionChunk>, Option.Option<LanguageModelError>>) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            resume(effect)
          }
          const timer = setTimeout(() => settle(Effect.fail(Option.some(options.timeoutError(model)))), timerDelay(idleMs))
          source.next().then(
            (chunks) => settle(chunks === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(chunks))),
            (cause: unknown) => settle(Effect.fail(Option.some(toLlmError(model, cause, clock.unsafeCurrentTimeMillis()))))
          )
          return Effect.sync(() => {
            settled = true
            clearTimeout(timer)
          })
        })
        const finish = Effect.gen(function*() {
          if (state.finishReason === undefined) {
            return yield* new LlmError({ reason: "network", model, message: "the stream ended before the model finished" })
          }
          reported = true
          yield* breaker.onSuccess(model)
          const assembled = assemble(ledger, state, options.estimateUsage)
          yield* limiter.settle(estimate, assembled.usage.totalTokens)
          const finishedAt = yield* Clock.currentTimeMillis
          const response = makeModelResponse({
            model: ModelName.make(model),
            content: assembled.content,
            toolCalls: assembled.toolCalls,
            finishReason: assembled.finishReason,
            usage: assembled.usage,
            ...(assembled.logprobs !== undefined ? { logprobs: assembled.logprobs } : {}),
            latencyMs: Math.max(0, Math.round(finishedAt - startedAt)),
            ...(firstTokenAt !== undefined ? { firstTokenMs: Math.max(0, Math.round(firstTokenAt - startedAt)) } : {}),
            costUsd: costOf(settings.prices, model, assembled.usage),
            ...(assembled.responseId !== undefined ? { responseId: assembled.responseId } : {}),
            attempts: route.attempt,
            skippedModels: models.slice(0, route.index).map((m) => ModelName.make(m))
          })
          if (ledger.diverged) {
            yield* Effect.logWarning("a retried stream diverged from text already delivered; kept the delivered text")
              .pipe(Effect.annotateLogs({ model }))
          }
          return { _tag: "Completed", response } as const
        })
        return Stream.repeatEffectChunkOption(read).pipe(
          Stream.mapChunks((chunks) => {
            const deltas: Array<StreamDelta> = []
            for (const chunk of chunks) deltas.push(...absorb(ledger, state, chunk))
            if (firstTokenAt === undefined && deltas.length > 0) firstTokenAt = clock.unsafeCurrentTimeMillis()
            return Chunk.unsafeFromArray(deltas)
          }),
          Stream.concat(Stream.fromEffect(finish))
        )
      })).pipe(
        Stream.tapError((error) => Effect.sync(() => {
          if (error._tag === "LlmError") reported = true
        })),
        Stream.ensuring(Effect.suspend(() => reported ? Effect.void : breaker.release(model)))
      )
    }

    const run = (route: Route): Stream.Stream<StreamDelta, LanguageModelError> =>
      attempt(route).pipe(
        Stream.catchAll((error) =>
          error._tag === "LlmError"
            ? Stream.unwrap(
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.map(router.next(route, error, Math.max(0, Math.round(now - attemptStart))), run))
            )
            : Stream.fail(error)
        )
      )

    return Stream.unwrap(Effect.map(router.start, run))
  }))
