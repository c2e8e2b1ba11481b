/**
 * The typed HTTP API of the gateway: every group under `/api`, with OpenAPI annotations. Definitions only (no
 * services), so clients import it for `HttpApiClient.make(TauApi)`.
 */
import { HttpApi, OpenApi } from "@effect/platform"
import { EventsApi } from "./events/Api.ts"
import { JsonBody } from "./JsonBody.ts"
import { MemoryApi } from "./memory/Api.ts"
import { ProjectionsApi } from "./projections/Api.ts"
import { SessionsApi } from "./sessions/Api.ts"

export class TauApi extends HttpApi.make("tau")
  .add(SessionsApi)
  .add(EventsApi)
  .add(ProjectionsApi)
  .add(MemoryApi)
  .middleware(JsonBody)
  .annotate(OpenApi.Title, "Tau")
  .annotate(
    OpenApi.Description,
    "Tau's typed API: sessions (talk to agents), the event log and its live tail, projections, memory. " +
      "Authenticate with `Authorization: Bearer <key>`; GET needs the read scope, POST write, rebuild admin."
  )
{}
