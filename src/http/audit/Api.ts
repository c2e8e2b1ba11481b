/**
 * The `audit` group of the typed API (`GET /api/audit`, admin): audited requests from the audit projection,
 * newest first, filtered by key, session, status, route prefix and time, paged by cursor. Schemas only.
 */
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { AuditFilters, AuditPage } from "../../projections/AuditRecords.ts"
import { ScopeRequired } from "../ApiErrors.ts"

export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/")
      .setUrlParams(AuditFilters)
      .addSuccess(AuditPage)
      .addError(ScopeRequired)
      .annotate(
        OpenApi.Description,
        "Audited requests, newest first (eventually consistent: entries are written in batches). Filters: keyId, " +
          "sessionId, status (exact) or statusClass (2xx, 4xx …), route (path prefix), since (inclusive) and until " +
          "(exclusive) as epoch ms or ISO 8601; page with `cursor` (the previous page's `next`) or offset, limit ≤ 1000"
      )
  )
  .prefix("/api/audit")
  .annotate(OpenApi.Title, "Audit")
  .annotate(OpenApi.Description, "The request audit trail (admin)")
{}
