/**
 * Size limits and input rules of the memory service, checked before anything is appended.
 */
import { Effect } from "effect"
import type { MemoryId } from "../../domain/Ids.ts"
import { InvalidMemoryInput, MemoryTooLarge } from "./Errors.ts"
import type { RecordInput, UpdateInput } from "./Model.ts"

export const limits = {
  content: 8000,
  tags: 32,
  tag: 64,
  sourceEventIds: 64,
  workspace: 256,
  query: 2000,
  reason: 1000,
  graphNodes: 200
} as const

const tooLarge = (field: string, size: number, limit: number) =>
  size > limit ? Effect.fail(new MemoryTooLarge({ field, size, limit })) : Effect.void

const invalid = (reason: string) => Effect.fail(new InvalidMemoryInput({ reason }))

const checkContent = (content: string) =>
  Effect.gen(function*() {
    yield* tooLarge("content", content.length, limits.content)
    if (content.trim().length === 0) return yield* invalid("content is empty")
  })

const checkTags = (tags: ReadonlyArray<string> | undefined) =>
  Effect.gen(function*() {
    if (tags === undefined) return
    yield* tooLarge("tags", tags.length, limits.tags)
    for (const tag of tags) {
      yield* tooLarge("tag", tag.length, limits.tag)
      if (tag.length === 0) return yield* invalid("empty tag")
    }
  })

const checkUnit = (name: string, value: number | undefined) =>
  value === undefined || (Number.isFinite(value) && value >= 0 && value <= 1)
    ? Effect.void
    : invalid(`${name} must be in [0, 1]`)

export const validateRecord = (input: RecordInput) =>
  Effect.gen(function*() {
    yield* checkContent(input.content)
    yield* checkTags(input.tags)
    yield* tooLarge("sourceEventIds", input.sourceEventIds?.length ?? 0, limits.sourceEventIds)
    yield* tooLarge("workspace", input.workspace?.length ?? 0, limits.workspace)
    yield* checkUnit("importance", input.importance)
    yield* checkUnit("confidence", input.confidence)
    if (input.scope === "workspace" && input.workspace === undefined) {
      return yield* invalid("workspace scope needs a workspace")
    }
    if (input.scope === "session" && input.sessionId === undefined) {
      return yield* invalid("session scope needs a sessionId")
    }
    return { ...input, tags: input.tags === undefined ? undefined : [...new Set(input.tags)] }
  })

export const validateUpdate = (patch: UpdateInput) =>
  Effect.gen(function*() {
    if (patch.content !== undefined) yield* checkContent(patch.content)
    yield* checkTags(patch.tags)
    yield* tooLarge("sourceEventIds", patch.sourceEventIds?.length ?? 0, limits.sourceEventIds)
    yield* checkUnit("importance", patch.importance)
    yield* checkUnit("confidence", patch.confidence)
    if (
      patch.content === undefined && patch.kind === undefined && patch.tags === undefined &&
      patch.importance === undefined && patch.confidence === undefined
    ) return yield* invalid("nothing to update")
    return { ...patch, ...(patch.tags === undefined ? {} : { tags: [...new Set(patch.tags)] }) }
  })

export const validateLink = (from: MemoryId, to: MemoryId, weight: number | undefined) =>
  Effect.gen(function*() {
    if (from === to) return yield* invalid("a memory cannot link to itself")
    yield* checkUnit("weight", weight)
    return weight ?? 1
  })
