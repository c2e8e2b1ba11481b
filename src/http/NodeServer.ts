/**
 * The node:http server under the gateway, with a bounded graceful shutdown: on close it stops accepting
 * connections, lets requests in flight finish for up to the grace period (a running turn completes and its
 * events are appended before its response ends), then cuts what is left. Sessions still running after that
 * are interrupted when the agent layer closes, which records them as cancelled by shutdown.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer } from "effect"
import type { Server } from "node:http"
import { createServer } from "node:http"
import { Gateway } from "./GatewayConfig.ts"

const drain = (server: Server, inFlight: () => number, grace: Duration.Duration) =>
  Effect.gen(function*() {
    server.close()
    const deadline = Date.now() + Duration.toMillis(grace)
    while (inFlight() > 0 && Date.now() < deadline) yield* Effect.sleep(Duration.millis(20))
    const left = inFlight()
    if (left > 0) yield* Effect.logWarning(`shutdown: ${left} request(s) still running after the grace period; closing them`)
    server.closeAllConnections()
  })

/**
 * `server`: the HTTP server on the configured host and port. `drainOnClose`: a layer to build *after* the
 * served app (so it is released before it), which drains requests in flight.
 */
export const makeNodeServer = Effect.gen(function*() {
  const settings = yield* Gateway
  const holder: { server?: Server; inFlight: number } = { inFlight: 0 }
  const server = NodeHttpServer.layer(() => {
    const created = createServer()
    created.on("request", (_request, response) => {
      holder.inFlight++
      response.once("close", () => {
        holder.inFlight--
      })
    })
    holder.server = created
    return created
  }, { port: settings.port, host: settings.host })
  const drainOnClose = Layer.scopedDiscard(Effect.addFinalizer(() =>
    holder.server === undefined ? Effect.void : drain(holder.server, () => holder.inFlight, settings.shutdownGrace)
  ))
  return { server, drainOnClose } as const
})
