/**
 * The system prompt of a new session: the base prompt (a named, versioned text), then the latest bulletin,
 * then the injected heuristics and memories. Later issues fill the slots (prompt adoption, cortex bulletin,
 * heuristics, memory recall); what was injected is recorded in SessionStarted, text and ids both.
 */
import type { BulletinId, ExperimentId, HeuristicId, MemoryId } from "../../domain/Ids.ts"
import { PromptName, PromptVersionId } from "../../domain/Ids.ts"

export interface BasePrompt {
  readonly name: PromptName
  readonly version: PromptVersionId
  readonly content: string
}

export interface PromptInputs {
  readonly base: BasePrompt
  readonly bulletin?: { readonly id: BulletinId; readonly content: string } | undefined
  readonly heuristics: ReadonlyArray<{ readonly id: HeuristicId; readonly text: string }>
  readonly memories: ReadonlyArray<{ readonly id: MemoryId; readonly content: string }>
  /** Set when an A/B experiment chose the base prompt's version. */
  readonly experimentId?: ExperimentId | undefined
}

export interface AssembledPrompt {
  readonly text: string
  readonly promptName: PromptName
  readonly promptVersion: PromptVersionId
  readonly heuristicIds: ReadonlyArray<HeuristicId>
  readonly bulletinId?: BulletinId | undefined
  readonly memoryIds: ReadonlyArray<MemoryId>
  readonly experimentId?: ExperimentId | undefined
}

export const defaultBasePrompt: BasePrompt = {
  name: PromptName.make("tau-default"),
  version: PromptVersionId.make("v1"),
  content: [
    "You are Tau, an autonomous coding agent working in the user's workspace.",
    "Use the tools to inspect files before changing them; prefer small, exact edits; run commands to check your work.",
    "Paths are relative to the workspace. When a tool fails, read its error and change your approach.",
    "When the task is done, answer with a short summary of what you did and what you found."
  ].join("\n")
}

export const emptyInputs: PromptInputs = { base: defaultBasePrompt, heuristics: [], memories: [] }

/** Section order is fixed so the same inputs always give the same text. */
export const assemblePrompt = (inputs: PromptInputs): AssembledPrompt => {
  const sections = [inputs.base.content.trim()]
  if (inputs.bulletin !== undefined && inputs.bulletin.content.trim().length > 0) {
    sections.push(`## Bulletin\n${inputs.bulletin.content.trim()}`)
  }
  if (inputs.heuristics.length > 0) {
    sections.push(`## Lessons from earlier sessions\n${inputs.heuristics.map((h) => `- ${h.text.trim()}`).join("\n")}`)
  }
  if (inputs.memories.length > 0) {
    sections.push(`## Relevant memories\n${inputs.memories.map((m) => `- ${m.content.trim()}`).join("\n")}`)
  }
  return {
    text: sections.join("\n\n"),
    promptName: inputs.base.name,
    promptVersion: inputs.base.version,
    heuristicIds: inputs.heuristics.map((h) => h.id),
    bulletinId: inputs.bulletin?.id,
    memoryIds: inputs.memories.map((m) => m.id),
    experimentId: inputs.experimentId
  }
}
