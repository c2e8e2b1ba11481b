/**
 * The memory service: writes append memory events to `memory-<id>` streams and wait until the memory
 * projection has applied them (read-your-writes); reads come from the projection and the process's vector
 * cache. Search is hybrid (vector + full text, fused by reciprocal rank, expanded over the graph, scaled by
 * importance and recency); see docs/memory.md.
 */
import { Clock, Config, Effect, Option } from "effect"
import { MemoryId } from "../../domain/Ids.ts"
import type { EventId } from "../../domain/Ids.ts"
import { uuidv7 } from "../../domain/Uuid.ts"
import type { EventMetadata } from "../../events/Envelope.ts"
import { EventLog } from "../../events/EventLog.ts"
import type { NewEvent } from "../../events/EventLog.ts"
import type { MemoryRelation } from "../../events/catalogue/MemoryEvents.ts"
import {
  MemoriesMerged,
  MemoryDeleted,
  MemoryLinked,
  MemoryRecorded,
  MemoryRestored,
  MemoryUpdated
} from "../../events/catalogue/MemoryEvents.ts"
import { memoryStream } from "../../events/Streams.ts"
import type { TauEvent } from "../../events/TauEvent.ts"
import { ProjectionRunner } from "../../projections/ProjectionRunner.ts"
import { decideMerge, defaultMergeThreshold, mergedStrength } from "./Consolidation.ts"
import { Embedder } from "./Embedder.ts"
import { InvalidMemoryInput, MemoryNotFound } from "./Errors.ts"
import { makeGraphReads } from "./MemoryGraphReads.ts"
import { limits, validateLink, validateRecord, validateUpdate } from "./MemoryLimits.ts"
import { makeMemoryQueries } from "./MemoryQueries.ts"
import { memoryProjectionName } from "./MemoryProjection.ts"
import { toRecord } from "./MemoryRows.ts"
import { SearchResult } from "./Model.ts"
import type { RecordInput, RecordOutcome, SearchFilters, UpdateInput, WriteContext } from "./Model.ts"
import { adjacency } from "./retrieval/GraphExpansion.ts"
import { rank } from "./retrieval/Search.ts"
import { defaultImportance, defaultScoring } from "./retrieval/Scoring.ts"
import { embeddingText, queryTerms } from "./retrieval/Text.ts"
import type { IndexedMeta } from "./retrieval/VectorIndex.ts"
import { makeVectorCache } from "./VectorCache.ts"

export const MemoryConfig = Config.all({
  mergeThreshold: Config.number("TAU_MEMORY_MERGE_THRESHOLD").pipe(
    Config.validate({ message: "must be in (0, 1]", validation: (n) => n > 0 && n <= 1 }),
    Config.withDefault(defaultMergeThreshold)
  ),
  /** Vector candidates below this cosine are not candidates (the hashing embedder's noise floor is ~0.05). */
  minSimilarity: Config.number("TAU_MEMORY_MIN_SIMILARITY").pipe(Config.withDefault(0.15)),
  candidates: Config.integer("TAU_MEMORY_CANDIDATES").pipe(Config.withDefault(50)),
  /** Share of the score decided by (decayed) importance and by recency; the rest is relevance. */
  importanceWeight: Config.number("TAU_MEMORY_IMPORTANCE_WEIGHT").pipe(Config.withDefault(defaultScoring.importanceWeight)),
  recencyWeight: Config.number("TAU_MEMORY_RECENCY_WEIGHT").pipe(Config.withDefault(defaultScoring.recencyWeight))
})

const make = Effect.gen(function*() {
  const log = yield* EventLog
  const runner = yield* ProjectionRunner
  const embedder = yield* Embedder
  const queries = yield* makeMemoryQueries
  const cache = yield* makeVectorCache(queries, embedder)
  const settings = yield* MemoryConfig
  const graphReads = makeGraphReads(queries)
  const scoring = {
    ...defaultScoring,
    importanceWeight: settings.importanceWeight,
    recencyWeight: settings.recencyWeight
  }

  const metadata = (ctx: WriteContext): EventMetadata => ({
    actor: ctx.actor ?? "memory",
    ...(ctx.causationId === undefined ? {} : { causationId: ctx.causationId }),
    ...(ctx.correlationId === undefined ? {} : { correlationId: ctx.correlationId })
  })

  /** Appends and waits for the projection to apply it; returns the event ids. */
  const write = (event: TauEvent & { readonly _tag: `Memor${string}` }, stream: MemoryId, ctx: WriteContext) =>
    Effect.gen(function*() {
      const eventId = uuidv7() as EventId
      const next: NewEvent = { event, eventId, metadata: metadata(ctx) }
      yield* log.append(memoryStream(stream), "any", [next]).pipe(Effect.orDie)
      return eventId
    })

  const settle = runner.catchUp(memoryProjectionName).pipe(Effect.orDie)

  const find = (id: MemoryId) =>
    Effect.flatMap(queries.byId(id), (row) =>
      row === undefined ? Effect.fail(new MemoryNotFound({ memoryId: id })) : Effect.succeed(row))

  const get = Effect.fn("Memory.get")(function*(id: MemoryId) {
    return toRecord(yield* find(id))
  })

  const embedOne = (text: string) =>
    embedder.embed([text]).pipe(Effect.map((vs) => vs[0]!), Effect.orDie)

  const record = Effect.fn("Memory.record")(function*(input: RecordInput, ctx: WriteContext = {}) {
    const valid = yield* validateRecord(input)
    const importance = valid.importance ?? defaultImportance[valid.kind]
    const confidence = valid.confidence ?? 0.8
    let merge: { into: MemoryId; similarity: number } | undefined
    if (valid.consolidate !== false) {
      const index = yield* cache.refresh
      const vector = yield* embedOne(embeddingText(valid.content, valid.tags ?? []))
      const sameScope = (m: IndexedMeta) =>
        m.scope === valid.scope && m.workspace === (valid.workspace ?? null) &&
        (valid.scope !== "session" || m.sessionId === (valid.sessionId ?? null))
      const decision = decideMerge(index?.search(vector, 1, settings.mergeThreshold, sameScope) ?? [], settings.mergeThreshold)
      if (decision !== undefined) merge = { into: MemoryId.make(decision.into), similarity: decision.similarity }
    }
    const id = MemoryId.make(uuidv7())
    const recordedId = yield* write(
      new MemoryRecorded({
        memoryId: id,
        scope: valid.scope,
        ...(valid.workspace === undefined ? {} : { workspace: valid.workspace }),
        ...(valid.sessionId === undefined ? {} : { sessionId: valid.sessionId }),
        ...(valid.userId === undefined ? {} : { userId: valid.userId }),
        kind: valid.kind,
        content: valid.content,
        tags: valid.tags ?? [],
        importance,
        confidence,
        sourceEventIds: valid.sourceEventIds ?? []
      }),
      id,
      ctx
    )
    if (merge === undefined) {
      yield* settle
      return { memory: toRecord(yield* find(id)), mergedFrom: null, similarity: null } satisfies RecordOutcome
    }
    const survivor = yield* find(merge.into)
    yield* write(
      new MemoriesMerged({
        into: merge.into,
        merged: [id],
        similarity: merge.similarity,
        ...mergedStrength(survivor, { importance, confidence }),
        sourceEventIds: [recordedId]
      }),
      merge.into,
      { ...ctx, causationId: recordedId }
    )
    yield* settle
    return {
      memory: toRecord(yield* find(merge.into)),
      mergedFrom: id,
      similarity: merge.similarity
    } satisfies RecordOutcome
  })

  const update = Effect.fn("Memory.update")(function*(id: MemoryId, patch: UpdateInput, ctx: WriteContext = {}) {
    const valid = yield* validateUpdate(patch)
    yield* find(id)
    yield* write(new MemoryUpdated({ memoryId: id, ...valid, sourceEventIds: valid.sourceEventIds ?? [] }), id, ctx)
    yield* settle
    return toRecord(yield* find(id))
  })

  const link = Effect.fn("Memory.link")(function*(
    from: MemoryId,
    to: MemoryId,
    relation: MemoryRelation,
    options: { readonly weight?: number; readonly sourceEventIds?: ReadonlyArray<EventId> } = {},
    ctx: WriteContext = {}
  ) {
    const weight = yield* validateLink(from, to, options.weight)
    yield* find(from)
    yield* find(to)
    yield* write(
      new MemoryLinked({ from, to, relation, weight, sourceEventIds: options.sourceEventIds ?? [] }),
      from,
      ctx
    )
    yield* settle
    const edges = yield* queries.edgesAround([from])
    return edges.find((e) => e.from === from && e.to === to && e.relation === relation)!
  })

  const setDeleted = (deleted: boolean) =>
    Effect.fn(deleted ? "Memory.delete" : "Memory.restore")(function*(
      id: MemoryId,
      reason?: string,
      ctx: WriteContext = {}
    ) {
      if (reason !== undefined && reason.length > limits.reason) {
        return yield* new InvalidMemoryInput({ reason: `reason longer than ${limits.reason} characters` })
      }
      const row = yield* find(id)
      if ((row.deleted !== 0) === deleted) return toRecord(row)
      const fields = { memoryId: id, sourceEventIds: [], ...(reason === undefined ? {} : { reason }) }
      yield* write(deleted ? new MemoryDeleted(fields) : new MemoryRestored(fields), id, ctx)
      yield* settle
      return toRecord(yield* find(id))
    })

  const search = Effect.fn("Memory.search")(function*(query: string, filters: SearchFilters = {}) {
    if (query.length > limits.query) {
      return yield* new InvalidMemoryInput({ reason: `query longer than ${limits.query} characters` })
    }
    const limit = filters.limit ?? 10
    const pool = Math.max(settings.candidates, 2 * limit)
    const index = yield* cache.refresh
    const accept = (m: IndexedMeta) =>
      (filters.scope === undefined || m.scope === filters.scope) &&
      (filters.workspace === undefined || m.workspace === filters.workspace) &&
      (filters.sessionId === undefined || m.sessionId === filters.sessionId) &&
      (filters.userId === undefined || m.userId === filters.userId) &&
      (filters.kinds === undefined || filters.kinds.includes(m.kind)) &&
      (filters.tags === undefined || filters.tags.every((t) => m.tags.includes(t))) &&
      (filters.visibleTo === undefined || m.scope === "global" ||
        (m.scope === "workspace" && m.workspace === (filters.visibleTo.workspace ?? null)) ||
        (m.scope === "session" && m.sessionId === (filters.visibleTo.sessionId ?? null)))
    const meta = (id: string) => {
      const m = index?.meta(id)
      return m !== undefined && accept(m) ? m : undefined
    }
    const mode = filters.mode ?? "hybrid"
    const vector = index === undefined || mode === "lexical"
      ? []
      : index.search(yield* embedOne(query), pool, settings.minSimilarity, accept)
    const lexical = mode === "vector" ? [] : yield* queries.lexical(queryTerms(query), filters, pool)
    const seeds = [...new Set([...vector, ...lexical].map((h) => h.id))]
    const useGraph = filters.graph !== false
    const edges = useGraph ? yield* graphReads.edgesWithin(seeds, 2) : []
    const ranked = rank({
      vector,
      lexical,
      adjacency: adjacency(edges),
      meta,
      nowMs: yield* Clock.currentTimeMillis,
      limit,
      minScore: filters.minScore ?? 0,
      useGraph,
      scoring
    })
    const rows = new Map((yield* queries.byIds(ranked.map((r) => r.id))).map((r) => [r.id, r]))
    return ranked.flatMap((r) => {
      const row = rows.get(MemoryId.make(r.id))
      return row === undefined ? [] : [new SearchResult({ memory: toRecord(row), score: r.score, components: r.components })]
    })
  })

  const neighbours = Effect.fn("Memory.neighbours")(function*(id: MemoryId, depth = 1) {
    yield* find(id)
    return yield* graphReads.around([id], Math.min(Math.max(1, depth), 2), limits.graphNodes)
  })

  /** The subgraph around a record, or around the top hits of a query: what a dashboard draws. */
  const graph = Effect.fn("Memory.graph")(function*(
    centre: { readonly id: MemoryId } | { readonly query: string; readonly filters?: SearchFilters },
    options: { readonly depth?: number; readonly maxNodes?: number } = {}
  ) {
    const depth = Math.min(Math.max(1, options.depth ?? 2), 2)
    const maxNodes = Math.min(Math.max(1, options.maxNodes ?? 50), limits.graphNodes)
    if ("id" in centre) {
      yield* find(centre.id)
      return yield* graphReads.around([centre.id], depth, maxNodes)
    }
    const hits = yield* search(centre.query, { ...centre.filters, limit: Math.min(10, maxNodes) })
    return yield* graphReads.around(hits.map((h) => h.memory.id), depth, maxNodes)
  })

  return {
    record,
    update,
    link,
    delete: setDeleted(true),
    restore: setDeleted(false),
    get,
    find: (id: MemoryId) => Effect.map(queries.byId(id), (row) => Option.map(Option.fromNullable(row), toRecord)),
    search,
    neighbours,
    graph
  } as const
})

export class Memory extends Effect.Service<Memory>()("tau/agent/memory/Memory", {
  effect: make,
  dependencies: [Embedder.Default]
}) {}
