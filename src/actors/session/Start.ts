/**
 * How a new session starts: its prompt (assembled from the PromptSource's inputs), model, turn limit, budget,
 * workspace and mode, from the first message's options over the configured defaults.
 */
import { Effect, Option } from "effect"
import type { Context } from "effect"
import { resolve } from "node:path"
import { ModelNotConfigured } from "../../agent/llm/Errors.ts"
import type { SessionId } from "../../domain/Ids.ts"
import { ModelName } from "../../domain/Ids.ts"
import type { SessionMode, SessionSource } from "../../events/catalogue/SessionEvents.ts"
import type { StartSpec } from "./Commands.ts"
import { assemblePrompt } from "./PromptAssembly.ts"
import type { PromptSource } from "./PromptSource.ts"
import type { SessionSettings } from "./SessionConfig.ts"

/** Used only when the message starts a new session. */
export interface SendOptions {
  readonly mode?: SessionMode | undefined
  /** Directory the tools work in; default: the current directory. */
  readonly workspace?: string | undefined
  readonly source?: SessionSource | undefined
  readonly userId?: string | undefined
  readonly maxTurns?: number | undefined
  readonly budgetUsd?: number | undefined
  readonly model?: string | undefined
}

export interface StartInput {
  readonly sessionId: SessionId
  readonly message: string
  readonly options: SendOptions
}

export const makeStart = (deps: {
  readonly prompts: Context.Tag.Service<PromptSource>
  /** Configured models, primary first; empty when none is configured. */
  readonly models: ReadonlyArray<string>
  readonly settings: SessionSettings
}) =>
(input: StartInput): Effect.Effect<StartSpec, ModelNotConfigured> =>
  Effect.gen(function*() {
    const { options } = input
    const model = options.model ?? deps.models[0]
    if (model === undefined || model.trim().length === 0) {
      return yield* new ModelNotConfigured({ detail: "no model name is configured (TAU_MODEL)" })
    }
    const workspace = resolve(options.workspace ?? ".")
    const inputs = yield* deps.prompts.inputs({ sessionId: input.sessionId, workspace, firstMessage: input.message })
    const budgetUsd = options.budgetUsd ?? Option.getOrUndefined(deps.settings.budgetUsd)
    return {
      model: ModelName.make(model),
      prompt: assemblePrompt(inputs),
      maxTurns: Math.max(1, Math.floor(options.maxTurns ?? deps.settings.maxTurns)),
      budgetUsd,
      workspace,
      source: options.source ?? "rpc",
      userId: options.userId,
      mode: options.mode ?? "chat"
    }
  })
