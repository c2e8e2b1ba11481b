/**
 * The RPC routes of the gateway, on the HttpLayerRouter shared with the HttpApi: `TauRpcs` over websockets
 * (GET /rpc, upgraded) and over HTTP (POST /rpc, one request per call batch, responses streamed); with the memory operations (GatewayRpcs). One RpcServer
 * serves one protocol, so there are two, sharing the handlers; both use ndjson (framed, so stream RPCs stream
 * over HTTP too). RpcAuth is left to the caller: RpcAuthLive (keys) or RpcAuthOff (`--no-auth`).
 */
import { RpcSerialization, RpcServer } from "@effect/rpc"
import { Effect, Layer } from "effect"
import { Gateway } from "../GatewayConfig.ts"
import { rpcAuthLayer, RpcAuthenticator } from "./AuthLive.ts"
import { TauRpcsLive } from "./Handlers.ts"
import { MemoryRpcsLive } from "./MemoryHandlers.ts"
import { GatewayRpcs } from "./Rpcs.ts"

export const rpcPath = "/rpc"

export const rpcRoutes = (options: { readonly tracing: boolean }) =>
  Layer.mergeAll(
    RpcServer.layerHttpRouter({
      group: GatewayRpcs,
      path: rpcPath,
      protocol: "websocket",
      disableTracing: !options.tracing,
      spanPrefix: "TauRpcs"
    }),
    RpcServer.layerHttpRouter({
      group: GatewayRpcs,
      path: rpcPath,
      protocol: "http",
      disableTracing: !options.tracing,
      spanPrefix: "TauRpcs"
    })
  ).pipe(Layer.provide(Layer.merge(TauRpcsLive, MemoryRpcsLive)), Layer.provide(RpcSerialization.layerNdjson))

/** Per-call spans off, as the gateway's default (TAU_HTTP_TRACING=false). */
export const RpcRoutes = rpcRoutes({ tracing: false })

/** What `tau serve` mounts: auth and tracing as the gateway's settings say, keys from ApiKeys. */
export const GatewayRpcRoutes = Layer.unwrapEffect(
  Effect.map(Gateway, ({ auth, tracing }) => rpcRoutes({ tracing }).pipe(Layer.provide(rpcAuthLayer(auth))))
).pipe(Layer.provide(RpcAuthenticator.ApiKeys))
