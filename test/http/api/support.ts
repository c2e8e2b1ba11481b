/**
 * The typed API served for tests: ApiRoutes over TauAgentSqlite on a temp file, the loopback model as the
 * provider, a typed client, and a small SSE reader over fetch.
 */
import { FetchHttpClient, HttpApiClient, HttpLayerRouter, HttpServerRequest } from "@effect/platform"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { TauApi } from "../../../src/http/Api.ts"
import { CurrentCaller } from "../../../src/http/Caller.ts"
import { ApiRoutes } from "../../../src/http/ApiRoutes.ts"
import { TauAgentSqlite } from "../../../src/layers/Tau.ts"
import { gatewayUrl, serveRoutes } from "../../support/Gateway.ts"
import { Loopback } from "../../support/LoopbackModel.ts"
import { tempSqliteFile } from "../../support/Sqlite.ts"

export class BaseUrl extends Context.Tag("test/BaseUrl")<BaseUrl, string>() {}

/** The server on a fresh database with `config` as the whole configuration. */
export const apiServer = (
  config: (lb: Context.Tag.Service<Loopback>) => Map<string, string>,
  extraRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = Layer.empty
) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const lb = yield* Loopback
    const filename = yield* tempSqliteFile
    const app = TauAgentSqlite({ filename })
    const server = serveRoutes(Layer.merge(ApiRoutes, extraRoutes)).pipe(Layer.provideMerge(app))
    const withUrl = Layer.effect(BaseUrl, gatewayUrl).pipe(Layer.provideMerge(server))
    return withUrl.pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(config(lb)))),
      Layer.orDie
    )
  })).pipe(Layer.provideMerge(Loopback.layer()), Layer.provideMerge(FetchHttpClient.layer))

export const client = Effect.flatMap(BaseUrl, (baseUrl) => HttpApiClient.make(TauApi, { baseUrl }))

export interface SseMessage {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

/** Reads SSE messages from a fetch response until `stop` says so or the stream ends; comments are skipped. */
export const readSse = async (
  response: Response,
  stop: (received: ReadonlyArray<SseMessage>) => boolean = () => false
): Promise<ReadonlyArray<SseMessage>> => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const received: Array<SseMessage> = []
  let buffer = ""
  try {
    for (;;) {
      if (stop(received)) return received
      const chunk = await reader.read()
      if (chunk.done) return received
      buffer += decoder.decode(chunk.value, { stream: true })
      let end = buffer.indexOf("\n\n")
      while (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf("\n\n")
        const lines = block.split("\n").filter((l) => !l.startsWith(":"))
        if (lines.length === 0) continue
        const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2)
        received.push({ id: field("id"), event: field("event"), data: lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n") })
        if (stop(received)) return received
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}

/**
 * Stands in for the gateway's auth middleware: the `x-test-scope` header sets the caller's scope (admin when
 * absent), so scope checks inside handlers can be tested without keys.
 */
export const TestCallerMiddleware = HttpLayerRouter.middleware((app) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const scope = request.headers["x-test-scope"]
    return scope === "read" || scope === "write"
      ? Effect.locally(app, CurrentCaller, { keyId: undefined, name: `test-${scope}`, scope })
      : app
  }), { global: true })
