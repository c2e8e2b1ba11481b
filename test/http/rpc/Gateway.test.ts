import { assert, describe, it } from "@effect/vitest"
import { HttpLayerRouter } from "@effect/platform"
import { Context, Effect, Layer, Stream } from "effect"
import { TauAgentSqlite } from "../../../src/index.ts"
import { ApiKeys } from "../../../src/http/auth/ApiKeys.ts"
import { Gateway } from "../../../src/http/GatewayConfig.ts"
import { GatewayRpcRoutes } from "../../../src/http/rpc/Routes.ts"
import { TauClient } from "../../../src/http/rpc/TauClient.ts"
import { GatewayMiddleware, GatewayServicesLive } from "../../../src/layers/Server.ts"
import { gatewayUrl, testServer } from "../../support/Gateway.ts"
import { loopbackModel } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

describe("RPC behind the gateway middleware", () => {
  it.scopedLive("both transports pass the global middleware with a key; without one the connection is refused", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const filename = yield* tempSqliteFile
      const app = TauAgentSqlite({ filename }).pipe(Layer.provide(Layer.setConfigProvider(lb.configProvider())), Layer.orDie)
      const served = HttpLayerRouter.serve(Layer.merge(GatewayRpcRoutes, GatewayMiddleware), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(Layer.provideMerge(testServer))
      const context = yield* Layer.build(
        served.pipe(
          Layer.provideMerge(GatewayServicesLive),
          Layer.provideMerge(app),
          Layer.provide(Gateway.make({ auth: true }))
        )
      )
      const url = yield* Effect.provide(gatewayUrl, context)
      const { token } = yield* Effect.orDie(Context.get(context, ApiKeys).create({ name: "w", scope: "write" }))
      for (const transport of ["http", "websocket"] as const) {
        const reply = yield* Stream.runLast(Stream.unwrap(Effect.map(TauClient, (tau) => tau.SendMessage({ message: "hi" })))).pipe(
          Effect.provide(TauClient[transport]({ url, apiKey: token }))
        )
        assert.strictEqual(reply._tag === "Some" && reply.value._tag === "Finished" ? reply.value.reply.reply?.content : "", "echo: hi")
      }
      // Refused by the middleware (401) before RPC: a typed client error on both transports, not a hang.
      for (const transport of ["http", "websocket"] as const) {
        const refused = yield* Effect.flip(
          Effect.flatMap(TauClient, (tau) => tau.ProjectionsStatus()).pipe(Effect.provide(TauClient[transport]({ url })))
        )
        assert.strictEqual(refused._tag, "RpcClientError")
      }
    }))
})
