/**
 * The typed HTTP API of the gateway: every group under `/api`, with OpenAPI annotations. Definitions only (no
 * services), so clients import it for `HttpApiClient.make(TauApi)`.
 */
import { HttpApi, OpenApi } from "@effect/platform"
import { AuditApi } from "./audit/Api.ts"
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
  .add(AuditApi)
  .middleware(JsonBody)
  .annotate(OpenApi.Title, "Tau")
  .annotate(
    OpenApi.Description,
    "Tau's typed API: sessions (talk to agents), the event log and its live tail, projections, memory, the audit trail. " +
      "Authenticate with `Authorization: Bearer <key>`; GET needs the read scope, POST write, rebuild and the audit trail admin."
  )
{}
