/**
 * The agent's memory tools: memory_search, memory_write, memory_link, memory_delete. They act within the
 * session's view (global records, its workspace's, its own session's), and what they write cites the event
 * that asked for the call (ToolContext.causationId) as causation and source, with the session as correlation.
 */
import { Effect, Layer, Schema } from "effect"
import { MemoryId } from "../../domain/Ids.ts"
import { MemoryKind, MemoryRelation } from "../../events/catalogue/MemoryEvents.ts"
import { ToolError } from "../tools/Errors.ts"
import * as Tool from "../tools/Tool.ts"
import { ToolRegistry } from "../tools/ToolRegistry.ts"
import { Memory } from "./Memory.ts"
import type { SearchResult, WriteContext } from "./Model.ts"

const describe = (d: string) => ({ description: d })

export const SearchParameters = Schema.Struct({
  query: Schema.String.annotations(describe("What to look for, in plain words")),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 20)).annotations(describe("Most results. Default 5"))),
  kinds: Schema.optional(Schema.Array(MemoryKind).annotations(describe("Only these kinds"))),
  tags: Schema.optional(Schema.Array(Schema.String).annotations(describe("Only records with all these tags")))
})

export const WriteParameters = Schema.Struct({
  content: Schema.String.annotations(describe("One self-contained statement worth remembering")),
  kind: MemoryKind,
  scope: Schema.optional(
    Schema.Literal("workspace", "session", "global").annotations(describe("Who sees it later. Default workspace"))
  ),
  tags: Schema.optional(Schema.Array(Schema.String)),
  importance: Schema.optional(Schema.Number.pipe(Schema.between(0, 1)).annotations(describe("0..1; default by kind")))
})

export const LinkParameters = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  relation: MemoryRelation,
  weight: Schema.optional(Schema.Number.pipe(Schema.between(0, 1)).annotations(describe("0..1. Default 1")))
})

export const DeleteParameters = Schema.Struct({
  id: Schema.String,
  reason: Schema.optional(Schema.String)
})

const failure = (tool: string) => (error: { readonly _tag: string; readonly message: string }) =>
  new ToolError({ tool, reason: error._tag === "MemoryNotFound" ? "not_found" : "invalid_arguments", message: error.message })

const memoryIdOf = (tool: string, raw: string) =>
  Schema.decodeUnknown(MemoryId)(raw).pipe(
    Effect.mapError(() => new ToolError({ tool, reason: "invalid_arguments", message: `not a memory id: ${raw}` }))
  )

const writeContext = (ctx: Tool.ToolContext): WriteContext => ({
  actor: "session",
  correlationId: ctx.sessionId,
  causationId: ctx.causationId
})

const format = (hits: ReadonlyArray<SearchResult>) =>
  hits.length === 0
    ? "(no matching memories)"
    : hits.map((h) =>
      `[${h.memory.id}] (${h.memory.kind}, score ${h.score.toFixed(3)}) ${h.memory.content}` +
      (h.memory.tags.length > 0 ? ` #${h.memory.tags.join(" #")}` : "")
    ).join("\n")

export const makeMemoryTools = (memory: Memory): ReadonlyArray<Tool.AnyTool> => [
  Tool.make({
    name: "memory_search",
    description: "Search long-term memory (facts, preferences, decisions, heuristics) visible to this session.",
    parameters: SearchParameters,
    handler: (args, ctx) =>
      memory.search(args.query, {
        limit: args.limit ?? 5,
        visibleTo: { workspace: ctx.workspace.root, sessionId: ctx.sessionId },
        ...(args.kinds === undefined ? {} : { kinds: args.kinds }),
        ...(args.tags === undefined ? {} : { tags: args.tags })
      }).pipe(Effect.map(format), Effect.mapError(failure(ctx.tool)))
  }),
  Tool.make({
    name: "memory_write",
    description: "Remember one statement for later sessions. Near-duplicates are merged into the existing memory.",
    parameters: WriteParameters,
    handler: (args, ctx) =>
      memory.record(
        {
          scope: args.scope ?? "workspace",
          workspace: ctx.workspace.root,
          sessionId: ctx.sessionId,
          kind: args.kind,
          content: args.content,
          ...(args.tags === undefined ? {} : { tags: args.tags }),
          ...(args.importance === undefined ? {} : { importance: args.importance }),
          sourceEventIds: ctx.causationId === undefined ? [] : [ctx.causationId]
        },
        writeContext(ctx)
      ).pipe(
        Effect.map((out) =>
          out.mergedFrom === null
            ? `remembered as ${out.memory.id}`
            : `merged into existing memory ${out.memory.id} (similarity ${out.similarity?.toFixed(2)})`
        ),
        Effect.mapError(failure(ctx.tool))
      )
  }),
  Tool.make({
    name: "memory_link",
    description: "Relate two memories (relates_to, supports, contradicts, derived_from, supersedes, caused_by).",
    parameters: LinkParameters,
    handler: (args, ctx) =>
      Effect.gen(function*() {
        const from = yield* memoryIdOf(ctx.tool, args.from)
        const to = yield* memoryIdOf(ctx.tool, args.to)
        const edge = yield* memory.link(from, to, args.relation, {
          ...(args.weight === undefined ? {} : { weight: args.weight }),
          sourceEventIds: ctx.causationId === undefined ? [] : [ctx.causationId]
        }, writeContext(ctx)).pipe(Effect.mapError(failure(ctx.tool)))
        return `linked ${edge.from} -${edge.relation}-> ${edge.to} (weight ${edge.weight})`
      })
  }),
  Tool.make({
    name: "memory_delete",
    description: "Forget a memory (soft delete: it leaves search, its history is kept and it can be restored).",
    parameters: DeleteParameters,
    handler: (args, ctx) =>
      Effect.gen(function*() {
        const id = yield* memoryIdOf(ctx.tool, args.id)
        yield* memory.delete(id, args.reason, writeContext(ctx)).pipe(Effect.mapError(failure(ctx.tool)))
        return `forgot ${id}`
      })
  })
]

/** Registers the memory tools in the session's tool registry for the layer's lifetime. */
export const MemoryToolsLive = Layer.scopedDiscard(Effect.gen(function*() {
  const registry = yield* ToolRegistry
  const tools = makeMemoryTools(yield* Memory)
  yield* Effect.acquireRelease(
    Effect.forEach(tools, (tool) => registry.register(tool), { discard: true }).pipe(Effect.orDie),
    () => Effect.forEach(tools, (tool) => registry.unregister(tool.name), { discard: true })
  )
}))
