/**
 * `tau memory show|search|graph`: reads of the memory projection, caught up to the log's head first (the CLI
 * runs no live projections). Search prints each result's score components.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { Memory } from "../../agent/memory/Memory.ts"
import type { SearchFilters } from "../../agent/memory/Model.ts"
import { MemoryKind, MemoryScope } from "../../events/catalogue/MemoryEvents.ts"
import { CliError } from "../CliError.ts"
import { stdoutLine } from "../Output.ts"
import { catchUp, idArg, json, parseId, parseSession, readable, splitTags } from "./Common.ts"
import { graphJson, recordJson, renderGraph, renderRecord, renderResults, resultsJson } from "./Render.ts"

export const showCommand = Command.make("show", { id: idArg(), json }, (o) =>
  Effect.gen(function*() {
    const id = yield* parseId(o.id)
    yield* catchUp
    const memory = yield* Memory
    const record = yield* readable(memory.get(id))
    if (o.json) return yield* stdoutLine(yield* recordJson(record))
    const edges = record.live ? (yield* readable(memory.neighbours(id, 1))).edges : []
    yield* stdoutLine(renderRecord(record, edges))
  })).pipe(Command.withDescription("A memory with its state, provenance and links (deleted and merged ones too)"))

const filterOptions = {
  scope: Options.choice("scope", MemoryScope.literals).pipe(Options.withDescription("Only this scope"), Options.optional),
  workspace: Options.text("workspace").pipe(Options.withDescription("Only this workspace"), Options.optional),
  session: Options.text("session").pipe(Options.withDescription("Only this session"), Options.optional),
  kind: Options.choice("kind", MemoryKind.literals).pipe(
    Options.withDescription("Only these kinds (repeatable)"),
    Options.repeated
  ),
  tag: Options.text("tag").pipe(Options.withDescription("Records must carry this tag (repeatable, or comma-separated)"), Options.repeated)
}

interface FilterValues {
  readonly scope: Option.Option<MemoryScope>
  readonly workspace: Option.Option<string>
  readonly session: Option.Option<string>
  readonly kind: ReadonlyArray<MemoryKind>
  readonly tag: ReadonlyArray<string>
}

const filters = (o: FilterValues) =>
  Effect.gen(function*() {
    const tags = splitTags(o.tag)
    const result: SearchFilters = {
      ...Option.match(o.scope, { onNone: () => ({}), onSome: (scope) => ({ scope }) }),
      ...Option.match(o.workspace, { onNone: () => ({}), onSome: (workspace) => ({ workspace }) }),
      ...(Option.isSome(o.session) ? { sessionId: yield* parseSession(o.session.value) } : {}),
      ...(o.kind.length === 0 ? {} : { kinds: [...new Set(o.kind)] }),
      ...(tags.length === 0 ? {} : { tags })
    }
    return result
  })

const query = Args.text({ name: "query" }).pipe(Args.withDescription("What to look for"))
const minScore = Options.float("min-score").pipe(Options.withDescription("Drop results below (0..1)"), Options.optional)
const limit = Options.integer("limit").pipe(Options.withDescription("At most (1..100, default 10)"), Options.withDefault(10))

export const searchCommand = Command.make("search", { query, ...filterOptions, minScore, limit, json }, (o) =>
  Effect.gen(function*() {
    if (!(o.limit >= 1 && o.limit <= 100)) return yield* new CliError({ message: "--limit must be between 1 and 100" })
    if (Option.isSome(o.minScore) && !(o.minScore.value >= 0 && o.minScore.value <= 1)) {
      return yield* new CliError({ message: "--min-score must be between 0 and 1" })
    }
    const given = yield* filters(o)
    yield* catchUp
    const results = yield* readable((yield* Memory).search(o.query, {
      ...given,
      limit: o.limit,
      ...Option.match(o.minScore, { onNone: () => ({}), onSome: (minScore) => ({ minScore }) })
    }))
    yield* stdoutLine(o.json ? yield* resultsJson(results) : renderResults(results))
  })).pipe(Command.withDescription(
    "Hybrid search: each result with its score and components (vector, full text, fused, graph, importance, recency)"
  ))

const centre = Args.text({ name: "id" }).pipe(Args.withDescription("The record at the centre"), Args.optional)
const around = Options.text("query").pipe(Options.withDescription("Centre on this query's top hits instead"), Options.optional)
const depth = Options.integer("depth").pipe(Options.withDescription("Hops, 1 or 2 (default 2)"), Options.withDefault(2))
const maxNodes = Options.integer("max-nodes").pipe(Options.withDescription("At most (1..200, default 50)"), Options.withDefault(50))

export const graphCommand = Command.make("graph", { id: centre, query: around, depth, maxNodes, json }, (o) =>
  Effect.gen(function*() {
    if (Option.isSome(o.id) === Option.isSome(o.query)) {
      return yield* new CliError({ message: "give either a memory id or --query" })
    }
    if (!(o.depth >= 1 && o.depth <= 2)) return yield* new CliError({ message: "--depth must be 1 or 2" })
    if (!(o.maxNodes >= 1 && o.maxNodes <= 200)) return yield* new CliError({ message: "--max-nodes must be between 1 and 200" })
    const at = yield* Option.match(o.id, {
      onSome: (id) => Effect.map(parseId(id), (memoryId) => ({ id: memoryId })),
      onNone: () => Effect.succeed({ query: Option.getOrElse(o.query, () => "") })
    })
    yield* catchUp
    const graph = yield* readable((yield* Memory).graph(at, { depth: o.depth, maxNodes: o.maxNodes }))
    yield* stdoutLine(o.json ? yield* graphJson(graph) : renderGraph(graph))
  })).pipe(Command.withDescription("The bounded subgraph around a memory, or around a query's top hits"))
