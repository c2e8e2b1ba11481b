/**
 * Turns text into unit vectors. The default is the local hashing embedder (deterministic, no network); with
 * TAU_EMBEDDINGS=openai it calls an OpenAI-compatible `/embeddings` endpoint (OPENAI_BASE_URL, OPENAI_API_KEY,
 * TAU_EMBEDDING_MODEL) through the official SDK. `id` names the vector space: vectors of different ids are
 * never compared.
 */
import { Config, Effect, Layer, Redacted, Schedule } from "effect"
import OpenAI from "openai"
import { nodeFetch } from "../llm/NodeFetch.ts"
import { EmbedderError } from "./Errors.ts"
import { hashDimension, hashEmbedding, normalise } from "./retrieval/HashEmbedding.ts"

export interface EmbedderShape {
  readonly id: string
  /** Known up front for the hashing embedder; for an endpoint, learnt from its first answer (0 before). */
  readonly dimension: number
  readonly embed: (texts: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Float32Array>, EmbedderError>
}

export const hashEmbedderId = `hash-v1-${hashDimension}`

export const hashEmbedder: EmbedderShape = {
  id: hashEmbedderId,
  dimension: hashDimension,
  embed: (texts) => Effect.sync(() => texts.map((text) => hashEmbedding(text)))
}

const EmbedderConfig = Config.all({
  mode: Config.literal("hash", "openai")("TAU_EMBEDDINGS").pipe(Config.withDefault("hash" as const)),
  baseUrl: Config.string("OPENAI_BASE_URL").pipe(Config.withDefault("https://api.openai.com/v1")),
  apiKey: Config.redacted("OPENAI_API_KEY").pipe(Config.withDefault(Redacted.make(""))),
  model: Config.string("TAU_EMBEDDING_MODEL").pipe(Config.withDefault("text-embedding-3-small")),
  timeoutMs: Config.integer("TAU_EMBEDDING_TIMEOUT_MS").pipe(Config.withDefault(10_000))
})

const batchSize = 128

export const makeOpenAiEmbedder = (options: {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  readonly model: string
  readonly timeoutMs: number
}): EmbedderShape => {
  const client = new OpenAI({
    baseURL: options.baseUrl,
    apiKey: Redacted.value(options.apiKey) || "unset",
    timeout: options.timeoutMs,
    maxRetries: 0,
    fetch: nodeFetch
  })
  const call = (input: ReadonlyArray<string>) =>
    Effect.tryPromise({
      try: (signal) => client.embeddings.create({ model: options.model, input: [...input], encoding_format: "float" }, { signal }),
      catch: (cause) => new EmbedderError({ message: `embeddings request failed: ${String(cause)}`, cause })
    }).pipe(
      Effect.retry({ times: 2, schedule: Schedule.exponential("200 millis") }),
      Effect.flatMap((response) => {
        const rows = [...response.data].sort((a, b) => a.index - b.index)
        return rows.length === input.length
          ? Effect.succeed(rows.map((row) => normalise(row.embedding)))
          : Effect.fail(new EmbedderError({ message: `expected ${input.length} embeddings, got ${rows.length}` }))
      })
    )
  const embedder: { -readonly [K in keyof EmbedderShape]: EmbedderShape[K] } = {
    id: `openai:${options.model}`,
    dimension: 0,
    embed: (texts) =>
      Effect.gen(function*() {
        const out: Array<Float32Array> = []
        for (let i = 0; i < texts.length; i += batchSize) out.push(...(yield* call(texts.slice(i, i + batchSize))))
        if (out[0] !== undefined) embedder.dimension = out[0].length
        return out
      }).pipe(Effect.withSpan("Embedder.openai"))
  }
  return embedder
}

export class Embedder extends Effect.Service<Embedder>()("tau/agent/memory/Embedder", {
  effect: Effect.gen(function*() {
    const config = yield* EmbedderConfig
    return (config.mode === "openai" ? makeOpenAiEmbedder(config) : hashEmbedder) as EmbedderShape
  })
}) {
  /** The hashing embedder regardless of configuration (tests, benchmarks). */
  static readonly Hash = Layer.succeed(Embedder, Embedder.make(hashEmbedder))
}
