/**
 * The typed API on the gateway's router: `TauApi` with its group handlers, `/openapi.json`, and the Swagger UI
 * at `/docs` (its script and styles are inlined in the page, so it works without internet access).
 */
import { HttpApiBuilder, HttpApiSwagger, HttpLayerRouter } from "@effect/platform"
import { Layer } from "effect"
import { TauApi } from "./Api.ts"
import { listAudit } from "./audit/Http.ts"
import { EventsHttpLive } from "./events/Http.ts"
import { JsonBodyLive } from "./JsonBody.ts"
import { MemoryHttpLive } from "./memory/Http.ts"
import { ProjectionsHttpLive } from "./projections/Http.ts"
import { SessionOwners } from "./SessionOwners.ts"
import { SessionsHttpLive } from "./sessions/Http.ts"

const AuditHttpLive = HttpApiBuilder.group(TauApi, "audit", (handlers) => handlers.handle("list", listAudit))

/** The handlers of every group in TauApi. */
export const ApiGroupsLive = Layer.mergeAll(SessionsHttpLive, EventsHttpLive, ProjectionsHttpLive, MemoryHttpLive, AuditHttpLive, JsonBodyLive).pipe(
  Layer.provide(SessionOwners.Default)
)

export const ApiRoutes = Layer.mergeAll(
  HttpLayerRouter.addHttpApi(TauApi, { openapiPath: "/openapi.json" }).pipe(Layer.provide(ApiGroupsLive)),
  HttpApiSwagger.layerHttpLayerRouter({ api: TauApi, path: "/docs" })
)
