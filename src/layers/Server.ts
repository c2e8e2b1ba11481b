/**
 * The gateway process: every route (health, OpenAI adapter, typed API + docs, RPC) on one HttpLayerRouter
 * behind the global gateway middleware, served by node:http on the configured host and port, over TauAgentLive
 * (event log, live projections, reward actor, sessions). `tau serve` launches `GatewayLive`; an embedding app
 * can serve `GatewayRoutes` on its own router instead.
 */
import { HttpIncomingMessage, HttpLayerRouter, HttpMiddleware } from "@effect/platform"
import { Effect, Layer } from "effect"
import { ApiRoutes } from "../http/ApiRoutes.ts"
import { AuditTrail } from "../http/audit/AuditTrail.ts"
import { ApiKeys } from "../http/auth/ApiKeys.ts"
import { RateLimits } from "../http/auth/RateLimit.ts"
import { Gateway } from "../http/GatewayConfig.ts"
import type { GatewaySettings } from "../http/GatewayConfig.ts"
import { HealthRoutes } from "../http/Health.ts"
import { bodyLimitOf, makeGatewayMiddleware } from "../http/Middleware.ts"
import { makeNodeServer } from "../http/NodeServer.ts"
import { ChatCompletionsRoute } from "../http/openai/ChatCompletions.ts"
import { ModelsRoute } from "../http/openai/Models.ts"
import { ResponsesRoute } from "../http/openai/Responses.ts"
import { GatewayRpcRoutes } from "../http/rpc/Routes.ts"
import { LogFlushMode } from "../events/sqlite/SqliteDatabase.ts"
import type { Flush } from "../events/sqlite/SqliteDatabase.ts"
import { TauAgentLive } from "./Tau.ts"

/** Every route of the gateway, needing the agent, the queries and the gateway's own services. */
export const GatewayRoutes = Layer.mergeAll(
  HealthRoutes,
  ChatCompletionsRoute,
  ResponsesRoute,
  ModelsRoute,
  ApiRoutes,
  GatewayRpcRoutes
)

/** The global middleware (see src/http/Middleware.ts) on the router, over the key store, limiter and audit trail. */
export const GatewayMiddleware = HttpLayerRouter.middleware(
  Effect.gen(function*() {
    const settings = yield* Gateway
    const keys = yield* ApiKeys
    const limits = yield* RateLimits
    const audit = yield* AuditTrail
    return makeGatewayMiddleware(settings, {
      authenticate: keys.authenticate,
      limit: limits.take,
      audit: audit.record
    })
  }),
  { global: true }
)

/** The gateway's own services: keys, rate limits, the audit trail. */
export const GatewayServicesLive = Layer.mergeAll(ApiKeys.Default, RateLimits.Default, AuditTrail.Default)

const served = Layer.unwrapEffect(Effect.gen(function*() {
  const { drainOnClose, server } = yield* makeNodeServer
  const settings = yield* Gateway
  const app = HttpLayerRouter.serve(Layer.merge(GatewayRoutes, GatewayMiddleware), { disableLogger: true }).pipe(
    // Server-wide, so the middleware need not provide it per request.
    Layer.provide(Layer.succeed(HttpIncomingMessage.MaxBodySize, bodyLimitOf(settings))),
    Layer.provideMerge(server)
  )
  return drainOnClose.pipe(
    Layer.provideMerge(settings.tracing ? app : HttpMiddleware.withTracerDisabledWhen(app, () => true))
  )
}))

/**
 * A server answers many requests on one event loop: SQLite's fsync runs on the thread pool unless
 * TAU_SQLITE_FLUSH says otherwise (src/events/sqlite/WalSync.ts).
 */
export const servingFlush: Flush = "background"

/**
 * `tau serve`: the HTTP server plus everything behind it, settings from configuration over `overrides`. The
 * output keeps the server (its address), the gateway services and the agent, for tests and embedding apps.
 */
export const GatewayLive = (overrides: Partial<GatewaySettings> = {}) =>
  served.pipe(
    Layer.provideMerge(GatewayServicesLive),
    Layer.provideMerge(TauAgentLive),
    Layer.provide(Gateway.fromConfig(overrides)),
    Layer.provide(Layer.succeed(LogFlushMode, servingFlush))
  )
