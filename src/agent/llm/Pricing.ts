/**
 * Cost of a model call from its usage. Prices are US dollars per million tokens; cached prompt tokens are
 * billed at `cached` (default: the input price). Unknown models (most local servers) cost nothing.
 */
import { Schema } from "effect"
import type { Usage } from "../../domain/ModelCall.ts"

const PerMillion = Schema.NonNegative.pipe(Schema.finite())

export const ModelPrice = Schema.Struct({
  input: PerMillion,
  output: PerMillion,
  cached: Schema.optional(PerMillion)
})
export type ModelPrice = typeof ModelPrice.Type

export const ModelPrices = Schema.Record({ key: Schema.String, value: ModelPrice })
export type ModelPrices = typeof ModelPrices.Type

/** OpenAI list prices (standard tier), overridable and extendable with TAU_MODEL_PRICES. */
export const defaultPrices: ModelPrices = {
  "gpt-4o": { input: 2.5, output: 10, cached: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cached: 0.075 },
  "gpt-4.1": { input: 2, output: 8, cached: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cached: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cached: 0.025 },
  "gpt-5": { input: 1.25, output: 10, cached: 0.125 },
  "gpt-5-mini": { input: 0.25, output: 2, cached: 0.025 },
  "gpt-5-nano": { input: 0.05, output: 0.4, cached: 0.005 },
  "o3": { input: 2, output: 8, cached: 0.5 },
  "o4-mini": { input: 1.1, output: 4.4, cached: 0.275 }
}

/**
 * The price of a model: an exact entry, else the longest entry that prefixes it at a `-` boundary (dated
 * snapshots such as `gpt-4o-2024-08-06`), after dropping a `provider/` prefix.
 */
export const priceOf = (prices: ModelPrices, model: string): ModelPrice | undefined => {
  const exact = prices[model]
  if (exact !== undefined) return exact
  const bare = model.includes("/") ? model.slice(model.lastIndexOf("/") + 1) : model
  let best: string | undefined
  for (const name of Object.keys(prices)) {
    if ((bare === name || bare.startsWith(`${name}-`)) && (best === undefined || name.length > best.length)) best = name
  }
  return best === undefined ? undefined : prices[best]
}

export const costOf = (prices: ModelPrices, model: string, usage: Usage): number => {
  const price = priceOf(prices, model)
  if (price === undefined) return 0
  const cached = Math.min(usage.cachedTokens ?? 0, usage.promptTokens)
  const dollars = (usage.promptTokens - cached) * price.input +
    cached * (price.cached ?? price.input) +
    usage.completionTokens * price.output
  return dollars / 1_000_000
}
