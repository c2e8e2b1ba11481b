/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the configured models (primary, then fallbacks) in OpenAI's
 * list shape, owned by "tau". Built once with the layer: the model configuration is fixed for the process.
 * `created` is when the gateway started. An unknown id is a 404 in OpenAI's error shape.
 */
import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Clock, Effect } from "effect"
import { LanguageModel } from "../../agent/llm/LanguageModel.ts"
import { openAiError } from "../OpenAiError.ts"

export const ModelsRoute = HttpLayerRouter.use((router) =>
  Effect.gen(function*() {
    const models: ReadonlyArray<string> = (yield* LanguageModel).models
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const entries = new Map(models.map((id) => [id, { id, object: "model", created, owned_by: "tau" }] as const))
    const list = HttpServerResponse.unsafeJson({ object: "list", data: [...entries.values()] })
    yield* router.add("GET", "/v1/models", Effect.succeed(list))
    yield* router.add(
      "GET",
      "/v1/models/*",
      Effect.map(HttpLayerRouter.params, (params) => {
        const id = params["*"] ?? ""
        const model = entries.get(id)
        return model === undefined
          ? openAiError(404, `The model '${id}' does not exist`, { code: "model_not_found", param: "model" })
          : HttpServerResponse.unsafeJson(model)
      })
    )
  })
)
