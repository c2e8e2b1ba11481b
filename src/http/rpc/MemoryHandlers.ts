/**
 * Handlers of `MemoryRpcs` over the Memory service. Writes carry `actor: "rpc"` and the caller's key id (set by
 * RpcAuth) as correlation id.
 */
import { Effect } from "effect"
import { Memory } from "../../agent/memory/Memory.ts"
import type { WriteContext } from "../../agent/memory/Model.ts"
import { currentCaller } from "../Caller.ts"
import { RecordResult, toBounds } from "../memory/Schemas.ts"
import { MemoryRpcs } from "./MemoryRpcs.ts"

const writeContext: Effect.Effect<WriteContext> = Effect.map(currentCaller, (caller) => ({
  actor: "rpc",
  ...(caller.keyId === undefined ? {} : { correlationId: caller.keyId })
}))

export const MemoryRpcsLive = MemoryRpcs.toLayer(Effect.gen(function*() {
  const memory = yield* Memory
  const write = <A, E>(f: (ctx: WriteContext) => Effect.Effect<A, E>) => Effect.flatMap(writeContext, f)
  return {
    CreateMemory: (input) =>
      write((ctx) => memory.record(input, ctx)).pipe(
        Effect.map((r) => new RecordResult(r)),
        Effect.catchTag("MemoryNotFound", Effect.die)
      ),
    GetMemory: ({ memoryId }) => memory.get(memoryId),
    UpdateMemory: ({ memoryId, ...patch }) => write((ctx) => memory.update(memoryId, patch, ctx)),
    DeleteMemory: ({ memoryId, reason }) => write((ctx) => memory.delete(memoryId, reason, ctx)),
    RestoreMemory: ({ memoryId, reason }) => write((ctx) => memory.restore(memoryId, reason, ctx)),
    LinkMemories: ({ from, relation, to, weight }) =>
      write((ctx) => memory.link(from, to, relation, weight === undefined ? {} : { weight }, ctx)),
    SearchMemory: ({ query, ...filters }) => memory.search(query, filters),
    // By id the service never searches, and a query's hits exist: the other error is a defect in each case.
    MemoryGraphAround: ({ memoryId, ...bounds }) =>
      memory.graph({ id: memoryId }, toBounds(bounds)).pipe(Effect.catchTag("InvalidMemoryInput", Effect.die)),
    MemoryGraphOfQuery: ({ query, filters, ...bounds }) =>
      memory.graph({ query, ...(filters === undefined ? {} : { filters }) }, toBounds(bounds)).pipe(
        Effect.catchTag("MemoryNotFound", Effect.die)
      )
  }
}))
