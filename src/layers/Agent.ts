/**
 * The agent: the `Sessions` service with what it runs on (LanguageModel, ToolRegistry, Safety, PromptSource),
 * over an EventLog provided from outside. The services are exposed, so an embedding app registers its own tools
 * on the same registry the sessions use (`ToolRegistry.register(tool)`). Without a configured model the layer
 * still builds; sending a message fails with ModelNotConfigured, whose message says what to set.
 */
import { Layer } from "effect"
import { PromptSource } from "../actors/session/PromptSource.ts"
import { Sessions } from "../actors/session/Sessions.ts"
import { LanguageModel } from "../agent/llm/LanguageModel.ts"
import { Safety } from "../agent/safety/Safety.ts"
import { ToolRegistry } from "../agent/tools/ToolRegistry.ts"

/** LanguageModel + ToolRegistry + Safety + the default PromptSource, each read from configuration. */
export const AgentServicesLive = Layer.mergeAll(
  LanguageModel.Default,
  ToolRegistry.Default,
  Safety.Default,
  PromptSource.Default
)

/** Sessions + the agent services; needs an EventLog. */
export const AgentLive = Sessions.DefaultWithoutDependencies.pipe(Layer.provideMerge(AgentServicesLive))
