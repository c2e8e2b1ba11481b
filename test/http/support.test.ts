import { assert, describe, it } from "@effect/vitest"
import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { gatewayUrl, serveRoutes } from "../support/Gateway.ts"

describe("test gateway server", () => {
  it.scopedLive("serves a route layer on an ephemeral port", () =>
    Effect.gen(function*() {
      const url = yield* gatewayUrl
      const response = yield* Effect.promise(() => fetch(`${url}/hello`))
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* Effect.promise(() => response.text()), "hi")
    }).pipe(Effect.provide(serveRoutes(HttpLayerRouter.add("GET", "/hello", HttpServerResponse.text("hi"))))))
})
