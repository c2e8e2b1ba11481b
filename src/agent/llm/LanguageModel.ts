/**
 * The model provider: Chat Completions over the official `openai` SDK (its own retries off), with our retry
 * policy, per-model circuit breakers and fallback models, an outbound rate limit and per-request timeouts. The
 * SDK runs on the model thread (internal/ModelThread.ts) unless TAU_LLM_THREAD=false; everything else here runs
 * on the event loop. Without a configured model the layer still builds and every call fails with ModelNotConfigured.
 */
import { Duration, Effect, Either, Option, Redacted, Stream } from "effect"
import type OpenAI from "openai"
import type { ModelRequestParams, Usage } from "../../domain/ModelCall.ts"
import { ModelName } from "../../domain/Ids.ts"
import { timerDelay } from "../../domain/Quantities.ts"
import { makeCircuitBreaker } from "./CircuitBreaker.ts"
import type { BreakerStatus } from "./CircuitBreaker.ts"
import type { Connection, LlmSettings } from "./Config.ts"
import { LlmConfig } from "./Config.ts"
import type { LanguageModelError, ModelNotConfigured } from "./Errors.ts"
import { LlmError } from "./Errors.ts"
import { costOf } from "./Pricing.ts"
import { makeRateLimiter } from "./RateLimiter.ts"
import { estimatePromptTokens, estimateRequestTokens, estimateTextTokens } from "./Tokens.ts"
import type { CallOptions, ModelRequest, StreamDelta } from "./Types.ts"
import { makeModelResponse } from "./Types.ts"
import { streamCall } from "./internal/StreamCall.ts"
import { parseCompletion, toLlmError, toWireParams, wantsLogprobs } from "./internal/Wire.ts"
import { makeRouter } from "./internal/Router.ts"
import { makeModelThread } from "./internal/ModelThread.ts"
import type { Transport } from "./internal/Transport.ts"
import { sdkTransport, threadTransport } from "./internal/Transport.ts"
import { makeSdk } from "./internal/Sdk.ts"

export const makeLanguageModel = (settings: LlmSettings) =>
  Effect.gen(function*() {
    const breaker = yield* makeCircuitBreaker(settings.breaker)
    // Read synchronously around every attempt: one capture, not an Effect per read.
    const clock = yield* Effect.clock
    const limiter = yield* makeRateLimiter(settings.rateLimit)
    const connection = settings.connection
    const timeoutMs = Duration.toMillis(settings.timeout)
    /** How calls reach the SDK, or why there is no model to call. */
    const transport: Either.Either<Transport, ModelNotConfigured> = Either.isLeft(connection)
      ? Either.left(connection.left)
      : yield* Effect.gen(function*() {
        const options = { baseURL: connection.right.baseUrl, apiKey: Redacted.value(connection.right.apiKey), timeoutMs: Math.max(1, timeoutMs) }
        return Either.right(settings.thread ? threadTransport(yield* makeModelThread(options)) : sdkTransport(makeSdk(options)))
      })

    const modelsFor = (conn: Connection, request: ModelRequest): ReadonlyArray<string> => {
      const primary = request.model ?? conn.model
      return [primary, ...conn.fallbackModels.filter((m) => m !== primary)]
    }

    const estimateUsage = (request: ModelRequest) => (content: string): Usage => {
      const promptTokens = estimatePromptTokens(request.messages, request.tools)
      const completionTokens = estimateTextTokens(content)
      return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }
    }

    const timeoutError = (model: string) =>
      new LlmError({ reason: "timeout", model, message: `no response from ${model} within ${timeoutMs} ms` })

    /**
     * One attempt under one deadline that also covers reading the body; interruption aborts the request. A plain
     * timer instead of Effect.timeout, which forks two fibres per call (a tenth of a call's cost at a fast model).
     */
    const callOnce = (via: Transport, conn: Connection, model: string, request: ModelRequest) => {
      const waiting = via.notReady()
      const attempted = attempt(via, conn, model, request)
      return (waiting === undefined ? attempted : Effect.zipRight(waiting, attempted)).pipe(
        Effect.catchAll((cause) => Effect.fail(toLlmError(model, cause, clock.unsafeCurrentTimeMillis()))),
        Effect.flatMap((completion) => {
          const parsed = parseCompletion(model, completion, estimateUsage(request))
          return parsed instanceof LlmError ? Effect.fail(parsed) : Effect.succeed(parsed)
        })
      )
    }

    const attempt = (via: Transport, conn: Connection, model: string, request: ModelRequest) =>
      Effect.async<OpenAI.ChatCompletion, unknown>((resume) => {
        let finished = false
        let cancel = () => {}
        const finish = (effect: Effect.Effect<OpenAI.ChatCompletion, unknown>) => {
          if (finished) return
          finished = true
          clearTimeout(timer)
          resume(effect)
        }
        const timer = setTimeout(() => {
          cancel()
          finish(Effect.fail(timeoutError(model)))
        }, timerDelay(timeoutMs))
        cancel = via.call({ ...toWireParams(model, request, settings, conn.official), stream: false }, (outcome) =>
          finish(Either.isRight(outcome) ? Effect.succeed(outcome.right) : Effect.fail(outcome.left)))
        return Effect.sync(() => {
          finished = true
          clearTimeout(timer)
          cancel()
        })
      })

    const complete = Effect.fnUntraced(function*(request: ModelRequest, options: CallOptions = {}) {
      const conn = yield* connection
      const via = yield* Either.mapLeft(transport, (e): LanguageModelError => e)
      const startedAt = clock.unsafeCurrentTimeMillis()
      const estimate = estimateRequestTokens(request)
      const models = modelsFor(conn, request)
      const router = makeRouter(models, breaker, settings.retry, options)
      let route = yield* router.start
      for (;;) {
        const model = route.model
        let attemptStart = startedAt
        const call = Effect.suspend(() => {
          attemptStart = clock.unsafeCurrentTimeMillis()
          return Effect.either(callOnce(via, conn, model, request))
        })
        // An admitted half-open trial that never got an answer (refused by the rate limit, interrupted while waiting
        // for it or during the call) must not keep the breaker half-open. One interruption handler for both steps.
        const result = yield* (limiter.enabled
          ? Effect.zipRight(Effect.tapError(limiter.acquire(estimate), () => breaker.release(model)), call)
          : call).pipe(Effect.onInterrupt(() => breaker.release(model)))
        const now = clock.unsafeCurrentTimeMillis()
        if (Either.isLeft(result)) {
          route = yield* router.next(route, result.left, Math.max(0, Math.round(now - attemptStart)))
          continue
        }
        const parsed = result.right
        yield* breaker.onSuccess(model)
        yield* limiter.settle(estimate, parsed.usage.totalTokens)
        return makeModelResponse({
          model: ModelName.make(model),
          content: parsed.content,
          toolCalls: parsed.toolCalls,
          finishReason: parsed.finishReason,
          usage: parsed.usage,
          ...(parsed.logprobs !== undefined ? { logprobs: parsed.logprobs } : {}),
          latencyMs: Math.max(0, Math.round(now - startedAt)),
          costUsd: costOf(settings.prices, model, parsed.usage),
          ...(parsed.responseId !== undefined ? { responseId: parsed.responseId } : {}),
          attempts: route.attempt,
          skippedModels: models.slice(0, route.index).map((m) => ModelName.make(m))
        })
      }
    })

    const stream = (request: ModelRequest, options: CallOptions = {}): Stream.Stream<StreamDelta, LanguageModelError> =>
      Stream.unwrap(Effect.gen(function*() {
        const conn = yield* connection
        const via = yield* Either.mapLeft(transport, (e): LanguageModelError => e)
        const waiting = via.notReady()
        if (waiting !== undefined) yield* waiting
        return streamCall({
          openStream: via.openStream,
          request,
          settings,
          official: conn.official,
          models: modelsFor(conn, request),
          breaker,
          limiter,
          estimateUsage: estimateUsage(request),
          timeoutError,
          callOptions: options
        })
      }))

    return {
      /** The reason calls fail, when no model is configured. */
      notConfigured: Either.isLeft(connection) ? Option.some<ModelNotConfigured>(connection.left) : Option.none(),
      /** Primary then fallback models; empty when none is configured. */
      models: Either.match(connection, { onLeft: () => [], onRight: (conn) => [conn.model, ...conn.fallbackModels] }),
      complete,
      stream,
      breakerStatus: (model: string): Effect.Effect<BreakerStatus> => breaker.status(model),
      costOf: (model: string, usage: Usage): number => costOf(settings.prices, model, usage),
      /** What a request will send, for the ModelRequested event. */
      requestParams: (request: ModelRequest, streaming: boolean): ModelRequestParams => ({
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        stream: streaming,
        logprobs: wantsLogprobs(request, settings),
        ...(wantsLogprobs(request, settings) && (request.topLogprobs ?? settings.topLogprobs) > 0
          ? { topLogprobs: request.topLogprobs ?? settings.topLogprobs }
          : {}),
        ...(typeof request.toolChoice === "string" ? { toolChoice: request.toolChoice } : {}),
        ...(request.frequencyPenalty !== undefined ? { frequencyPenalty: request.frequencyPenalty } : {}),
        ...(request.presencePenalty !== undefined ? { presencePenalty: request.presencePenalty } : {})
      })
    } as const
  })

export class LanguageModel extends Effect.Service<LanguageModel>()("app/agent/LanguageModel", {
  scoped: Effect.flatMap(LlmConfig, makeLanguageModel)
}) {}
