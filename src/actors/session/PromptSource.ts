/**
 * Where a new session's prompt inputs come from. The default gives the built-in base prompt and empty slots;
 * the prompt, cortex and memory features replace it with a layer that reads their projections.
 */
import { Context, Effect, Layer } from "effect"
import type { SessionId } from "../../domain/Ids.ts"
import type { PromptInputs } from "./PromptAssembly.ts"
import { emptyInputs } from "./PromptAssembly.ts"

export interface PromptContext {
  readonly sessionId: SessionId
  readonly workspace?: string | undefined
  readonly firstMessage: string
}

export class PromptSource extends Context.Tag("app/actors/session/PromptSource")<PromptSource, {
  readonly inputs: (context: PromptContext) => Effect.Effect<PromptInputs>
}>() {
  static readonly Default = Layer.succeed(PromptSource, { inputs: () => Effect.succeed(emptyInputs) })
}
