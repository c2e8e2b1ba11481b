/**
 * Handlers of the `memory` group over the Memory service. Writes carry `actor: "http"` and the caller's key id
 * as correlation id; reads come from the memory projection, which every write has already caught up.
 *
 * The group layer is built against `MemoryHttpApi` (id "tau", the memory group alone), so it provides exactly
 * what `TauApi` (id "tau") needs once `MemoryApi` is added there, and tests can serve it without the rest.
 */
import { HttpApi, HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Memory } from "../../agent/memory/Memory.ts"
import type { WriteContext } from "../../agent/memory/Model.ts"
import { currentCaller } from "../Caller.ts"
import { MemoryApi } from "./Api.ts"
import { RecordResult, toBounds, toFilters } from "./Schemas.ts"

export class MemoryHttpApi extends HttpApi.make("tau").add(MemoryApi) {}

const writeContext: Effect.Effect<WriteContext> = Effect.map(currentCaller, (caller) => ({
  actor: "http",
  ...(caller.keyId === undefined ? {} : { correlationId: caller.keyId })
}))

export const MemoryHttpLive = HttpApiBuilder.group(MemoryHttpApi, "memory", (handlers) =>
  Effect.gen(function*() {
    const memory = yield* Memory
    return handlers
      .handle("create", ({ payload }) =>
        Effect.flatMap(writeContext, (ctx) => memory.record(payload, ctx)).pipe(
          Effect.map((r) => new RecordResult(r)),
          Effect.catchTag("MemoryNotFound", Effect.die)
        ))
      .handle("get", ({ path }) => memory.get(path.id))
      .handle("update", ({ path, payload }) => Effect.flatMap(writeContext, (ctx) => memory.update(path.id, payload, ctx)))
      .handle("delete", ({ path, urlParams }) =>
        Effect.flatMap(writeContext, (ctx) => memory.delete(path.id, urlParams.reason, ctx)))
      .handle("restore", ({ path, urlParams }) =>
        Effect.flatMap(writeContext, (ctx) => memory.restore(path.id, urlParams.reason, ctx)))
      .handle("link", ({ path, payload }) =>
        Effect.flatMap(writeContext, (ctx) =>
          memory.link(path.id, payload.to, payload.relation, payload.weight === undefined ? {} : { weight: payload.weight }, ctx)))
      .handle("search", ({ urlParams: { q, ...filters } }) => memory.search(q, toFilters(filters)))
      // By id the service never searches, and a query's hits exist: the other error is a defect in each case.
      .handle("graph", ({ path, urlParams }) =>
        memory.graph({ id: path.id }, toBounds(urlParams)).pipe(Effect.catchTag("InvalidMemoryInput", Effect.die)))
      .handle("queryGraph", ({ urlParams: { q, depth, maxNodes, ...filters } }) =>
        memory.graph({ query: q, filters: toFilters(filters) }, toBounds({ depth, maxNodes })).pipe(
          Effect.catchTag("MemoryNotFound", Effect.die)
        ))
  }))
