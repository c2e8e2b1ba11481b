/**
 * Model provider configuration, read with effect Config. Nothing here is required: without a model the
 * settings still load (`connection` is Left), so the server starts and model calls fail with ModelNotConfigured.
 */
import { Config, ConfigError, Duration, Either, Option, Redacted, Schema } from "effect"
import { ModelNotConfigured } from "./Errors.ts"
import { defaultPrices, ModelPrices } from "./Pricing.ts"

export const defaultModel = "gpt-4o-mini"
export const openAiBaseUrl = "https://api.openai.com/v1"

export interface Connection {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  /** True when talking to api.openai.com (decides `max_completion_tokens` vs `max_tokens`). */
  readonly official: boolean
  readonly model: string
  readonly fallbackModels: ReadonlyArray<string>
}

export interface RetrySettings {
  readonly maxRetries: number
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  /** Extra random delay, as a fraction of the nominal delay (0.2 = up to +20 %). */
  readonly jitter: number
  /** A Retry-After longer than this is not waited for: the call fails (or moves to a fallback model). */
  readonly maxRetryAfter: Duration.Duration
}

export interface RateLimitSettings {
  /** 0 disables the limit. */
  readonly requestsPerMinute: number
  readonly tokensPerMinute: number
  readonly maxWait: Duration.Duration
}

export interface BreakerSettings {
  readonly failureThreshold: number
  readonly cooldown: Duration.Duration
}

export interface LlmSettings {
  readonly connection: Either.Either<Connection, ModelNotConfigured>
  /** Model calls (streamed or not) run on a worker thread (internal/ModelThread.ts) instead of the event loop. */
  readonly thread: boolean
  readonly timeout: Duration.Duration
  readonly logprobs: boolean
  readonly topLogprobs: number
  readonly prices: ModelPrices
  readonly retry: RetrySettings
  readonly rateLimit: RateLimitSettings
  readonly breaker: BreakerSettings
}

export const defaultRetry: RetrySettings = {
  maxRetries: 3,
  baseDelay: Duration.millis(200),
  maxDelay: Duration.seconds(2),
  jitter: 0.2,
  maxRetryAfter: Duration.seconds(60)
}
export const defaultRateLimit: RateLimitSettings = { requestsPerMinute: 0, tokensPerMinute: 0, maxWait: Duration.seconds(10) }
export const defaultBreaker: BreakerSettings = { failureThreshold: 3, cooldown: Duration.seconds(30) }
export const defaultTimeout = Duration.seconds(120)

const nonEmpty = <A extends string>(option: Option.Option<A>) =>
  option.pipe(Option.map((s) => s.trim() as A), Option.filter((s) => s.length > 0))

const millis = (name: string, fallback: Duration.Duration, min = 0) =>
  Config.integer(name).pipe(
    Config.validate({ message: `must be an integer >= ${min}`, validation: (n) => n >= min }),
    Config.map(Duration.millis),
    Config.withDefault(fallback)
  )

const count = (name: string, fallback: number, min = 0) =>
  Config.integer(name).pipe(
    Config.validate({ message: `must be an integer >= ${min}`, validation: (n) => n >= min }),
    Config.withDefault(fallback)
  )

const PricesJson = Schema.parseJson(ModelPrices)

const invalid = (name: string, message: string) => ConfigError.InvalidData([name], message)

const pricesConfig = Config.string("TAU_MODEL_PRICES").pipe(
  Config.mapOrFail((text) =>
    Schema.decodeUnknownEither(PricesJson)(text).pipe(
      Either.mapLeft((e) =>
        invalid("TAU_MODEL_PRICES", `expected {"model": {"input": n, "output": n, "cached"?: n}}: ${e.message}`)
      )
    )
  ),
  Config.option,
  Config.map((custom) => ({ ...defaultPrices, ...Option.getOrElse(custom, () => ({})) }))
)


/** Which model to call, or why there is none. */
export const resolveConnection = (input: {
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly baseUrl: Option.Option<string>
  readonly model: Option.Option<string>
  readonly fallbackModels: ReadonlyArray<string>
}): Either.Either<Connection, ModelNotConfigured> => {
  const apiKey = Option.filter(input.apiKey, (k) => Redacted.value(k).trim().length > 0)
  if (Option.isNone(apiKey) && Option.isNone(input.baseUrl)) {
    return Either.left(
      new ModelNotConfigured({
        detail: Option.isSome(input.model)
          ? `TAU_MODEL=${input.model.value} is set, but neither OPENAI_API_KEY nor OPENAI_BASE_URL is`
          : "none of OPENAI_API_KEY, OPENAI_BASE_URL and TAU_MODEL is set"
      })
    )
  }
  const model = Option.getOrElse(input.model, () => defaultModel)
  const baseUrl = Option.getOrElse(input.baseUrl, () => openAiBaseUrl).replace(/\/+$/, "")
  return Either.right({
    // Local servers ignore the key, but the SDK insists on one.
    apiKey: Option.getOrElse(apiKey, () => Redacted.make("unused")),
    baseUrl,
    official: baseUrl === openAiBaseUrl,
    model,
    fallbackModels: [...new Set(input.fallbackModels)].filter((m) => m !== model)
  })
}

const connectionConfig = Config.all({
  apiKey: Config.option(Config.redacted("OPENAI_API_KEY")),
  baseUrl: Config.option(Config.string("OPENAI_BASE_URL")).pipe(Config.map(nonEmpty)),
  model: Config.option(Config.string("TAU_MODEL")).pipe(Config.map(nonEmpty)),
  fallbackModels: Config.string("TAU_FALLBACK_MODELS").pipe(
    Config.withDefault(""),
    Config.map((s) => s.split(",").map((m) => m.trim()).filter((m) => m.length > 0))
  )
}).pipe(Config.map(resolveConnection))

export const LlmConfig: Config.Config<LlmSettings> = Config.all({
  connection: connectionConfig,
  thread: Config.boolean("TAU_LLM_THREAD").pipe(Config.withDefault(true)),
  timeout: millis("TAU_LLM_TIMEOUT_MS", defaultTimeout, 1),
  logprobs: Config.boolean("TAU_LLM_LOGPROBS").pipe(Config.withDefault(false)),
  topLogprobs: count("TAU_LLM_TOP_LOGPROBS", 0).pipe(
    Config.validate({ message: "must be between 0 and 20", validation: (n) => n <= 20 })
  ),
  prices: pricesConfig,
  retry: Config.all({
    maxRetries: count("TAU_LLM_MAX_RETRIES", defaultRetry.maxRetries),
    baseDelay: millis("TAU_LLM_RETRY_BASE_MS", defaultRetry.baseDelay, 1),
    maxDelay: millis("TAU_LLM_RETRY_MAX_DELAY_MS", defaultRetry.maxDelay, 1),
    jitter: Config.number("TAU_LLM_RETRY_JITTER").pipe(
      Config.validate({ message: "must be between 0 and 1", validation: (n) => n >= 0 && n <= 1 }),
      Config.withDefault(defaultRetry.jitter)
    ),
    maxRetryAfter: millis("TAU_LLM_RETRY_MAX_WAIT_MS", defaultRetry.maxRetryAfter)
  }),
  rateLimit: Config.all({
    requestsPerMinute: count("TAU_LLM_REQUESTS_PER_MINUTE", defaultRateLimit.requestsPerMinute),
    tokensPerMinute: count("TAU_LLM_TOKENS_PER_MINUTE", defaultRateLimit.tokensPerMinute),
    maxWait: millis("TAU_LLM_RATE_LIMIT_MAX_WAIT_MS", defaultRateLimit.maxWait)
  }),
  breaker: Config.all({
    failureThreshold: count("TAU_LLM_BREAKER_FAILURES", defaultBreaker.failureThreshold, 1),
    cooldown: millis("TAU_LLM_BREAKER_COOLDOWN_MS", defaultBreaker.cooldown)
  })
})
