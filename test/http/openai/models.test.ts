import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import OpenAI from "openai"
import { TauAgentSqlite } from "../../../src/index.ts"
import { ModelsRoute } from "../../../src/http/openai/Models.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { loopbackModel } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

const withClient = <A, E>(config: ConfigProvider.ConfigProvider, body: (client: OpenAI) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const filename = yield* tempSqliteFile
    const app = TauAgentSqlite({ filename }).pipe(Layer.provide(Layer.setConfigProvider(config)), Layer.orDie)
    return yield* Effect.gen(function*() {
      return yield* body(new OpenAI({ baseURL: `${yield* gatewayUrl}/v1`, apiKey: "unused", maxRetries: 0 }))
    }).pipe(Effect.provide(serveRoutes(ModelsRoute).pipe(Layer.provide(app))))
  })

describe("GET /v1/models", () => {
  it.scopedLive("lists the primary and fallback models owned by tau; retrieve finds each, 404 otherwise", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const config = lb.configProvider({ TAU_MODEL: "primary-1", TAU_FALLBACK_MODELS: "org/fallback-2,fallback-3" })
      yield* withClient(config, (client) =>
        Effect.gen(function*() {
          const page = yield* Effect.promise(() => client.models.list())
          assert.deepStrictEqual(page.data.map((m) => m.id), ["primary-1", "org/fallback-2", "fallback-3"])
          for (const model of page.data) {
            assert.strictEqual(model.object, "model")
            assert.strictEqual(model.owned_by, "tau")
            assert.isAbove(model.created, 1_700_000_000)
          }
          const one = yield* Effect.promise(() => client.models.retrieve("fallback-3"))
          assert.deepStrictEqual(one, page.data[2])
          const slashed = yield* Effect.promise(() => client.models.retrieve("org/fallback-2"))
          assert.strictEqual(slashed.id, "org/fallback-2")
          const missing = yield* Effect.promise(() => client.models.retrieve("gpt-unknown").then(() => undefined, (e: unknown) => e))
          assert.instanceOf(missing, OpenAI.NotFoundError)
          assert.strictEqual((missing as InstanceType<typeof OpenAI.NotFoundError>).code, "model_not_found")
        }))
    }))

  it.scopedLive("with no model configured the list is empty", () =>
    withClient(ConfigProvider.fromMap(new Map()), (client) =>
      Effect.gen(function*() {
        const page = yield* Effect.promise(() => client.models.list())
        assert.deepStrictEqual(page.data, [])
      })))
})
