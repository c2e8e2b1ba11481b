import { Effect, Layer, Stream } from "effect"
import { ChatMessages, ModelRequest } from "../../../src/agent/llm/Types.ts"
import type { StreamDelta } from "../../../src/agent/llm/Types.ts"
import { LanguageModel } from "../../../src/agent/llm/LanguageModel.ts"
import type { LoopbackModel } from "../../support/LoopbackModel.ts"

/** Fast retries so live tests stay quick; each test overrides what it checks. */
export const fast = {
  TAU_LLM_RETRY_BASE_MS: "5",
  TAU_LLM_RETRY_MAX_DELAY_MS: "20"
} as const

export const modelLayer = (lb: LoopbackModel, overrides: Record<string, string> = {}) =>
  LanguageModel.Default.pipe(Layer.provide(Layer.setConfigProvider(lb.configProvider({ ...fast, ...overrides }))))

export const ask = (text: string, extra: Partial<ConstructorParameters<typeof ModelRequest>[0]> = {}) =>
  new ModelRequest({ messages: [ChatMessages.system("You are terse."), ChatMessages.user(text)], ...extra })

export const collect = (stream: Stream.Stream<StreamDelta, unknown>) =>
  Stream.runCollect(stream).pipe(Effect.map((chunk) => [...chunk]))

export const textOf = (deltas: ReadonlyArray<StreamDelta>) =>
  deltas.flatMap((d) => (d._tag === "TextDelta" ? [d.text] : [])).join("")
