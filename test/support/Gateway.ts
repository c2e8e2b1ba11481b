/**
 * Serving gateway routes in tests: a real node:http server on 127.0.0.1 and an ephemeral port.
 *
 *   const url = yield* gatewayUrl.pipe(Effect.provide(serveRoutes(MyRoutes).pipe(Layer.provide(services))))
 *
 * `serveRoutes` keeps `HttpServer` in its output so `gatewayUrl` can read the port.
 */
import { HttpLayerRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"

export const testServer = NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })

/** Serves a layer of routes (anything that adds to HttpLayerRouter.HttpRouter) on an ephemeral port. */
export const serveRoutes = <A, E, R>(routes: Layer.Layer<A, E, R>) =>
  HttpLayerRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(Layer.provideMerge(testServer))

/** `http://127.0.0.1:<port>` of the server in context. */
export const gatewayUrl: Effect.Effect<string, never, HttpServer.HttpServer> = Effect.map(
  HttpServer.HttpServer,
  (server) =>
    server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "http://unix-socket.invalid"
)
