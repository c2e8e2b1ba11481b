/**
 * A typed client of a Tau gateway's RPC API, over HTTP (POST /rpc, ndjson, streams stream) or a websocket
 * (GET /rpc). The API key goes in the `authorization` header: of every HTTP request, or of the websocket's
 * upgrade request (which the server applies to every call on the connection).
 *
 *   const tau = yield* TauClient
 *   yield* tau.SendMessage({ message: "hi" }).pipe(Stream.runForEach(Console.log))
 *   Effect.provide(TauClient.websocket({ url: "http://127.0.0.1:8787", apiKey }))
 */
import { FetchHttpClient, HttpClient, HttpClientRequest, Socket } from "@effect/platform"
import { RpcClient, RpcSerialization } from "@effect/rpc"
import { Effect, Layer } from "effect"
import { createRequire } from "node:module"
import { GatewayRpcs } from "./Rpcs.ts"

export interface TauClientOptions {
  /** The gateway's base URL (`http://host:port`); `/rpc` is appended, and http(s) becomes ws(s) for websockets. */
  readonly url: string
  /** A key from `tau keys create`; leave it out when the server runs with `--no-auth`. */
  readonly apiKey?: string | undefined
}

const rpcUrl = (base: string, websocket: boolean): string => {
  const url = new URL(base)
  if (!url.pathname.endsWith("/rpc")) url.pathname = `${url.pathname.replace(/\/+$/, "")}/rpc`
  if (websocket) url.protocol = url.protocol === "https:" ? "wss:" : url.protocol === "http:" ? "ws:" : url.protocol
  return url.toString()
}

type NodeWebSocket = new(
  url: string,
  protocols: string | Array<string> | undefined,
  options: { readonly headers: Readonly<Record<string, string>> }
) => globalThis.WebSocket

/**
 * The `ws` package (a dependency of @effect/platform-node, which uses it for websockets on Node): unlike the
 * WHATWG WebSocket it can send headers on the upgrade request.
 */
const loadWs = (): NodeWebSocket => (createRequire(import.meta.url)("ws") as { readonly WebSocket: NodeWebSocket }).WebSocket

const webSocketConstructor = (apiKey: string | undefined) =>
  Layer.sync(Socket.WebSocketConstructor, () => {
    const WebSocket = loadWs()
    const headers: Record<string, string> = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }
    return (url, protocols) => new WebSocket(url, protocols, { headers })
  })

export class TauClient extends Effect.Service<TauClient>()("app/http/rpc/TauClient", {
  scoped: RpcClient.make(GatewayRpcs)
}) {
  /** Over HTTP with the fetch client; each call is one POST, stream results arrive as they are produced. */
  static readonly http = (options: TauClientOptions) =>
    TauClient.Default.pipe(
      Layer.provide(Layer.scoped(
        RpcClient.Protocol,
        Effect.flatMap(HttpClient.HttpClient, (client) =>
          RpcClient.makeProtocolHttp(client.pipe(
            HttpClient.mapRequest(HttpClientRequest.prependUrl(rpcUrl(options.url, false))),
            HttpClient.mapRequest((request) =>
              options.apiKey === undefined ? request : HttpClientRequest.bearerToken(request, options.apiKey)
            ),
            // A refusal before RPC (the gateway middleware's 401/403/429, in OpenAI's error shape) must fail the
            // call: read as ndjson it holds no RPC response, and the call would wait forever.
            HttpClient.filterStatusOk
          )))
      )),
      Layer.provide([RpcSerialization.layerNdjson, FetchHttpClient.layer])
    )

  /** Over one websocket (reconnected after a failure; calls in flight then fail with RpcClientError). */
  static readonly websocket = (options: TauClientOptions) =>
    TauClient.Default.pipe(
      Layer.provide(RpcClient.layerProtocolSocket()),
      Layer.provide([
        RpcSerialization.layerNdjson,
        Layer.scoped(Socket.Socket, Socket.makeWebSocket(rpcUrl(options.url, true))).pipe(
          Layer.provide(webSocketConstructor(options.apiKey))
        )
      ])
    )
}
