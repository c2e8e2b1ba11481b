/**
 * The handler of the `audit` group over AuditQuery. The audit trail is admin-only: the gateway middleware checks
 * the scope, and the handler checks it again (a route mounted without the middleware must not leak it).
 *
 * The group's layer is one line wherever the root API is assembled (a handler, not a layer, lives here so
 * the same code serves the gateway's TauApi and test APIs):
 *
 *   HttpApiBuilder.group(TauApi, "audit", (handlers) => handlers.handle("list", listAudit))
 */
import { Effect } from "effect"
import { AuditQuery } from "../../projections/AuditQuery.ts"
import type { AuditFilters } from "../../projections/AuditRecords.ts"
import { ScopeRequired } from "../ApiErrors.ts"
import { currentCaller, scopeAllows } from "../Caller.ts"

/** `GET /api/audit`: one page of audited requests matching the URL parameters. */
export const listAudit = ({ urlParams }: { readonly urlParams: AuditFilters }) =>
  Effect.gen(function*() {
    const caller = yield* currentCaller
    if (!scopeAllows(caller.scope, "admin")) {
      return yield* new ScopeRequired({ required: "admin", message: "the audit trail needs an admin key" })
    }
    return yield* Effect.flatMap(AuditQuery, (query) => query.list(urlParams))
  }).pipe(Effect.withSpan("AuditHttp.list"))
