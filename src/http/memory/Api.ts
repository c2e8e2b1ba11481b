/**
 * The `memory` group of the typed API (`/api/memory`): create, read, update, soft-delete and restore memories,
 * link them, hybrid search with filters (each result with its score components), and the bounded subgraph
 * around a record or a query. Schemas only. Statuses: unknown id 404, a size limit exceeded 413, invalid input
 * (the service's rules, or a schema mismatch with the failing path) 400.
 */
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { InvalidMemoryInput, MemoryNotFound, MemoryTooLarge } from "../../agent/memory/Errors.ts"
import { MemoryEdge, MemoryGraph, MemoryRecord, RecordInput, SearchResult, UpdateInput } from "../../agent/memory/Model.ts"
import { MemoryId } from "../../domain/Ids.ts"
import { GraphBoundsParams, LinkInput, QueryGraphParams, ReasonInput, RecordResult, SearchParams } from "./Schemas.ts"

const MemoryPath = Schema.Struct({ id: MemoryId })

export class MemoryApi extends HttpApiGroup.make("memory")
  .add(
    HttpApiEndpoint.post("create", "/")
      .setPayload(RecordInput)
      .addSuccess(RecordResult, { status: 201 })
      .addError(InvalidMemoryInput, { status: 400 })
      .addError(MemoryTooLarge, { status: 413 })
      .annotate(
        OpenApi.Description,
        "Record a memory. A near-identical live record of the same scope absorbs it instead (unless " +
          "`consolidate: false`); the answer then names that record and `mergedFrom`"
      )
  )
  .add(
    HttpApiEndpoint.get("search", "/search")
      .setUrlParams(SearchParams)
      .addSuccess(Schema.Array(SearchResult))
      .addError(InvalidMemoryInput, { status: 400 })
      .annotate(
        OpenApi.Description,
        "Hybrid search (vector + full text, fused, expanded over the graph, scaled by importance and recency). " +
          "`kind` and `tags` are comma-separated; deleted and merged records never appear"
      )
  )
  .add(
    HttpApiEndpoint.get("queryGraph", "/graph")
      .setUrlParams(QueryGraphParams)
      .addSuccess(MemoryGraph)
      .addError(InvalidMemoryInput, { status: 400 })
      .annotate(OpenApi.Description, "The subgraph around the top hits of a query (depth ≤ 2, at most 200 nodes)")
  )
  .add(
    HttpApiEndpoint.get("get", "/:id")
      .setPath(MemoryPath)
      .addSuccess(MemoryRecord)
      .addError(MemoryNotFound, { status: 404 })
      .annotate(OpenApi.Description, "A memory, also when deleted or merged (see `deleted`, `mergedInto`)")
  )
  .add(
    HttpApiEndpoint.patch("update", "/:id")
      .setPath(MemoryPath)
      .setPayload(UpdateInput)
      .addSuccess(MemoryRecord)
      .addError(MemoryNotFound, { status: 404 })
      .addError(InvalidMemoryInput, { status: 400 })
      .addError(MemoryTooLarge, { status: 413 })
      .annotate(OpenApi.Description, "Change some fields; the others stay")
  )
  .add(
    HttpApiEndpoint.del("delete", "/:id")
      .setPath(MemoryPath)
      .setUrlParams(ReasonInput)
      .addSuccess(MemoryRecord)
      .addError(MemoryNotFound, { status: 404 })
      .addError(InvalidMemoryInput, { status: 400 })
      .annotate(OpenApi.Description, "Soft delete: the record leaves search and the graph, its history stays; restore undoes it")
  )
  .add(
    HttpApiEndpoint.post("restore", "/:id/restore")
      .setPath(MemoryPath)
      .setUrlParams(ReasonInput)
      .addSuccess(MemoryRecord)
      .addError(MemoryNotFound, { status: 404 })
      .addError(InvalidMemoryInput, { status: 400 })
      .annotate(OpenApi.Description, "Undo a soft delete (a no-op on a live record)")
  )
  .add(
    HttpApiEndpoint.post("link", "/:id/links")
      .setPath(MemoryPath)
      .setPayload(LinkInput)
      .addSuccess(MemoryEdge, { status: 201 })
      .addError(MemoryNotFound, { status: 404 })
      .addError(InvalidMemoryInput, { status: 400 })
      .annotate(OpenApi.Description, "Link this memory to another; linking the same relation again replaces the weight")
  )
  .add(
    HttpApiEndpoint.get("graph", "/:id/graph")
      .setPath(MemoryPath)
      .setUrlParams(GraphBoundsParams)
      .addSuccess(MemoryGraph)
      .addError(MemoryNotFound, { status: 404 })
      .annotate(OpenApi.Description, "The subgraph of live records around this one (depth ≤ 2, at most 200 nodes)")
  )
  .prefix("/api/memory")
  .annotate(OpenApi.Title, "Memory")
  .annotate(OpenApi.Description, "What the agent remembers across sessions: records, links, search, graph")
{}
