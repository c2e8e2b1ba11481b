/**
 * The memory operations of the typed RPC API (definitions only): the same as the HTTP group `/api/memory`.
 * Every operation carries `RpcAuth` and its scope (read for get, search and graphs; write for the rest), so
 * `TauRpcs.merge(MemoryRpcs)` serves them behind the same authorization.
 */
import { Rpc, RpcGroup } from "@effect/rpc"
import { Schema } from "effect"
import { InvalidMemoryInput, MemoryNotFound, MemoryTooLarge } from "../../agent/memory/Errors.ts"
import { MemoryEdge, MemoryGraph, MemoryRecord, RecordInput, SearchFilters, SearchResult, UpdateInput } from "../../agent/memory/Model.ts"
import { MemoryId } from "../../domain/Ids.ts"
import { MemoryRelation } from "../../events/catalogue/MemoryEvents.ts"
import { UnitInterval } from "../../domain/Quantities.ts"
import { GraphBounds, RecordResult } from "../memory/Schemas.ts"
import { RequiredScope, RpcAuth } from "./Auth.ts"

const Reason = Schema.optional(Schema.String.pipe(Schema.maxLength(1000)))

export const CreateMemory = Rpc.make("CreateMemory", {
  payload: RecordInput,
  success: RecordResult,
  error: Schema.Union(InvalidMemoryInput, MemoryTooLarge)
}).annotate(RequiredScope, "write")

export const GetMemory = Rpc.make("GetMemory", {
  payload: { memoryId: MemoryId },
  success: MemoryRecord,
  error: MemoryNotFound
}).annotate(RequiredScope, "read")

export const UpdateMemory = Rpc.make("UpdateMemory", {
  payload: { memoryId: MemoryId, ...UpdateInput.fields },
  success: MemoryRecord,
  error: Schema.Union(MemoryNotFound, InvalidMemoryInput, MemoryTooLarge)
}).annotate(RequiredScope, "write")

/** Soft delete; `RestoreMemory` undoes it. */
export const DeleteMemory = Rpc.make("DeleteMemory", {
  payload: { memoryId: MemoryId, reason: Reason },
  success: MemoryRecord,
  error: Schema.Union(MemoryNotFound, InvalidMemoryInput)
}).annotate(RequiredScope, "write")

export const RestoreMemory = Rpc.make("RestoreMemory", {
  payload: { memoryId: MemoryId, reason: Reason },
  success: MemoryRecord,
  error: Schema.Union(MemoryNotFound, InvalidMemoryInput)
}).annotate(RequiredScope, "write")

export const LinkMemories = Rpc.make("LinkMemories", {
  payload: { from: MemoryId, to: MemoryId, relation: MemoryRelation, weight: Schema.optional(UnitInterval) },
  success: MemoryEdge,
  error: Schema.Union(MemoryNotFound, InvalidMemoryInput)
}).annotate(RequiredScope, "write")

/** Hybrid search; each result carries its score components. */
export const SearchMemory = Rpc.make("SearchMemory", {
  payload: { query: Schema.String, ...SearchFilters.fields },
  success: Schema.Array(SearchResult),
  error: InvalidMemoryInput
}).annotate(RequiredScope, "read")

/** The subgraph of live records around one record. */
export const MemoryGraphAround = Rpc.make("MemoryGraphAround", {
  payload: { memoryId: MemoryId, ...GraphBounds.fields },
  success: MemoryGraph,
  error: MemoryNotFound
}).annotate(RequiredScope, "read")

/** The subgraph around the top hits of a query. */
export const MemoryGraphOfQuery = Rpc.make("MemoryGraphOfQuery", {
  payload: { query: Schema.String, filters: Schema.optional(SearchFilters), ...GraphBounds.fields },
  success: MemoryGraph,
  error: InvalidMemoryInput
}).annotate(RequiredScope, "read")

export class MemoryRpcs extends RpcGroup.make(
  CreateMemory,
  GetMemory,
  UpdateMemory,
  DeleteMemory,
  RestoreMemory,
  LinkMemories,
  SearchMemory,
  MemoryGraphAround,
  MemoryGraphOfQuery
).middleware(RpcAuth) {}
