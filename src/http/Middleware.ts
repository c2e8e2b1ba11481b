/**
 * The gateway's one global middleware, wrapped around every route (OpenAI adapter, typed API, RPC, docs):
 * authentication by bearer key and the scope the route needs, a per-key rate limit, the request-body limit,
 * JSON answers for unknown routes and unexpected failures, a request id, and an audit entry for every
 * answered request. Everything it refuses is answered in OpenAI's error shape, so OpenAI SDKs raise their
 * typed errors (AuthenticationError, PermissionDeniedError, RateLimitError …).
 */
import { HttpIncomingMessage, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { FileSystem } from "@effect/platform"
import { Cause, Effect, Equal, FiberRef, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { SessionId } from "../domain/Ids.ts"
import type { ApiKeyId } from "../domain/Ids.ts"
import type { KeyScope } from "../events/catalogue/GatewayEvents.ts"
import type { Caller } from "./Caller.ts"
import { CurrentCaller, localOperator, scopeAllows } from "./Caller.ts"
import type { GatewaySettings } from "./GatewayConfig.ts"
import { readChunkedBody, withBody } from "./ChunkedBody.ts"
import { openAiError } from "./OpenAiError.ts"

/** What the middleware needs from the key store, the rate limiter and the audit trail. */
export interface Guards {
  readonly authenticate: (token: string) => Effect.Effect<Option.Option<Caller>>
  /** Takes one request from `key`'s bucket. */
  readonly limit: (key: string) => Effect.Effect<{ readonly _tag: "Allowed" } | { readonly _tag: "Limited"; readonly retryAfterMs: number }>
  readonly audit: (entry: AuditEntry) => Effect.Effect<void>
}

export interface AuditEntry {
  readonly requestId: string
  readonly keyId: ApiKeyId | undefined
  readonly method: string
  readonly route: string
  readonly sessionId: SessionId | undefined
  readonly status: number
  readonly latencyMs: number
  readonly startedAt: number
}

export type RouteAccess = "public" | KeyScope

const adminPaths = [/^\/api\/projections\/[^/]+\/rebuild$/, /^\/api\/audit(\/|$)/]

/**
 * The scope a request needs: `/healthz` is public; rebuilds and the audit trail need admin;
 * reads (GET, HEAD, OPTIONS) need read; everything else writes. RPC connections need read here and each
 * operation checks its own scope.
 */
export const requiredAccess = (method: string, path: string): RouteAccess => {
  if (path === "/healthz") return "public"
  if (adminPaths.some((pattern) => pattern.test(path))) return "admin"
  if (path === "/rpc" || path.startsWith("/rpc/")) return "read"
  return method === "GET" || method === "HEAD" || method === "OPTIONS" ? "read" : "write"
}

const bearer = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

const isSessionId = Schema.is(SessionId)

const pathOf = (url: string): string => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** Request ids: a random per-process prefix and a counter (unique across restarts, cheap per request). */
const requestIds = () => {
  const prefix = randomBytes(6).toString("hex")
  let counter = 0
  return () => `req_${prefix}${(counter++).toString(36)}`
}

const withHeader = (response: HttpServerResponse.HttpServerResponse, requestId: string) =>
  HttpServerResponse.setHeader(response, "x-request-id", requestId)

/** Turns an unhandled failure into a response: JSON 404 for unknown routes, OpenAI-shaped 4xx/5xx otherwise. */
const recover = (cause: Cause.Cause<unknown>, method: string, path: string, requestId: string) => {
  // HttpApi reads bodies with orDie, so a body over the limit can arrive as a defect.
  const failure = Option.orElse(Cause.failureOption(cause), () => Cause.dieOption(cause))
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof HttpServerError.RouteNotFound) {
      return Effect.succeed(openAiError(404, `Unknown route: ${method} ${path}`, { code: "unknown_route" }))
    }
    if (error instanceof HttpServerError.RequestError) {
      return Effect.succeed(
        isTooLarge(error)
          ? openAiError(413, "Request body too large", { code: "request_too_large" })
          : openAiError(400, `Could not read the request: ${error.description ?? error.reason}`, { code: "bad_request" })
      )
    }
  }
  if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
  return HttpServerError.causeResponse(cause).pipe(
    Effect.flatMap(([response, rest]) =>
      response.status < 500
        ? Effect.succeed(response)
        : Effect.logError(`request ${requestId} ${method} ${path} failed`, rest).pipe(
          Effect.as(openAiError(500, `Internal error (request ${requestId})`, { code: "internal_error" }))
        )
    )
  )
}

/** The platform's body-size limit for `settings` (GatewayLive provides it server-wide; the middleware otherwise). */
export const bodyLimitOf = (settings: GatewaySettings): Option.Option<FileSystem.Size> =>
  Option.some(FileSystem.Size(settings.maxBodyBytes))

const isTooLarge = (error: HttpServerError.RequestError): boolean =>
  /max|too large|exceed/i.test(`${error.description ?? ""} ${String(error.cause ?? "")}`)

/**
 * The middleware function over a whole router (see HttpLayerRouter.middleware with `global: true`). Its error
 * channel stays `unknown` because client interrupts pass through to the server, which answers them itself.
 */
export const makeGatewayMiddleware = (settings: GatewaySettings, guards: Guards) => {
  const nextId = requestIds()
  const maxBody = bodyLimitOf(settings)

  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const startedAt = Date.now()
      const method = request.method
      const path = pathOf(request.url)
      const access = requiredAccess(method, path)
      if (access === "public") return Effect.catchAllCause(app, (cause) => recover(cause, method, path, "public"))

      const requestId = nextId()
      let caller: Caller | undefined
      const finish = (response: HttpServerResponse.HttpServerResponse) => {
        const session = response.headers["x-tau-session"]
        return Effect.as(
          guards.audit({
            requestId,
            keyId: caller?.keyId,
            method,
            route: path,
            sessionId: session !== undefined && isSessionId(session) ? session : undefined,
            status: response.status,
            latencyMs: Math.max(0, Date.now() - startedAt),
            startedAt
          }),
          withHeader(response, requestId)
        )
      }

      const handle = Effect.gen(function*() {
        if (settings.auth) {
          const token = bearer(request.headers["authorization"])
          if (token === undefined) {
            return openAiError(401, "Missing API key: send `Authorization: Bearer <key>` (create one with `tau keys create`)", {
              code: "missing_api_key",
              headers: { "www-authenticate": "Bearer" }
            })
          }
          const found = yield* guards.authenticate(token)
          if (Option.isNone(found)) {
            return openAiError(401, "Invalid or revoked API key", {
              code: "invalid_api_key",
              headers: { "www-authenticate": "Bearer" }
            })
          }
          caller = found.value
          if (!scopeAllows(caller.scope, access)) {
            return openAiError(403, `This key has scope "${caller.scope}"; ${method} ${path} needs "${access}"`, {
              code: "insufficient_scope"
            })
          }
          if (caller.keyId !== undefined) {
            const taken = yield* guards.limit(caller.keyId)
            if (taken._tag === "Limited") {
              const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000))
              return openAiError(429, `Rate limit exceeded for this key; retry after ${seconds} s`, {
                code: "rate_limit_exceeded",
                headers: { "retry-after": String(seconds) }
              })
            }
          }
        } else {
          caller = localOperator
        }
        const length = request.headers["content-length"]
        if (length !== undefined && Number(length) > settings.maxBodyBytes) {
          return openAiError(413, `Request body too large: ${length} bytes (limit ${settings.maxBodyBytes})`, {
            code: "request_too_large"
          })
        }
        let served = request
        if (length === undefined && request.headers["transfer-encoding"] !== undefined) {
          const body = yield* readChunkedBody(request, settings.maxBodyBytes)
          if (body._tag === "TooLarge") {
            return openAiError(413, `Request body too large (limit ${settings.maxBodyBytes} bytes)`, {
              code: "request_too_large"
            })
          }
          served = withBody(request, body.bytes)
        }
        // Each provide or `locally` costs a scoped region per request (~20 Effect operations): the body limit is
        // provided only when the server does not already (GatewayLive does), the request only when replaced, and
        // the caller is set on this request's own fibre rather than scoped.
        const limit = yield* HttpIncomingMessage.MaxBodySize
        const limited = Equal.equals(limit, maxBody)
          ? app
          : Effect.provideService(app, HttpIncomingMessage.MaxBodySize, maxBody)
        yield* FiberRef.set(CurrentCaller, caller)
        return yield* served === request ? limited : Effect.provideService(limited, HttpServerRequest.HttpServerRequest, served)
      })
      return handle.pipe(
        Effect.catchAllCause((cause) => recover(cause, method, path, requestId)),
        Effect.flatMap(finish)
      )
    })
}
