/**
 * `tau serve`: the gateway in one process — actors, projections and HTTP (OpenAI-compatible routes, typed API,
 * RPC, docs) on one port — until SIGINT/SIGTERM, then a graceful shutdown (see src/http/NodeServer.ts).
 */
import { Command, Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import { LlmConfig } from "../../agent/llm/Config.ts"
import { resolveGatewaySettings } from "../../http/GatewayConfig.ts"
import type { GatewaySettings } from "../../http/GatewayConfig.ts"
import { DatabaseConfigFromEnv, describeDatabase } from "../../layers/Config.ts"
import { GatewayLive, servingFlush } from "../../layers/Server.ts"
import { stderrLine } from "../Output.ts"

const port = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("Port to listen on (default: TAU_PORT or 8787)"),
  Options.optional
)
const host = Options.text("host").pipe(
  Options.withDescription("Interface to listen on (default: TAU_HOST or 127.0.0.1; 0.0.0.0 for every interface)"),
  Options.optional
)
const noAuth = Options.boolean("no-auth").pipe(
  Options.withDescription("Single-user mode: no API keys needed. Only allowed on 127.0.0.1; logged at start")
)

export const serveCommand = Command.make("serve", { port, host, noAuth }, (flags) =>
  Effect.gen(function*() {
    const overrides: Partial<GatewaySettings> = {
      ...Option.match(flags.port, { onNone: () => ({}), onSome: (port) => ({ port }) }),
      ...Option.match(flags.host, { onNone: () => ({}), onSome: (host) => ({ host }) }),
      ...(flags.noAuth ? { auth: false } : {})
    }
    const settings = yield* resolveGatewaySettings(overrides)
    const database = describeDatabase(yield* DatabaseConfigFromEnv, servingFlush)
    const llm = yield* LlmConfig
    const model = llm.connection._tag === "Right"
      ? `${llm.connection.right.model} at ${llm.connection.right.baseUrl}`
      : "none configured (agent routes answer 503; set OPENAI_BASE_URL / OPENAI_API_KEY / TAU_MODEL)"
    yield* stderrLine(`tau serve on http://${settings.host}:${settings.port} — database: ${database}; model: ${model}; auth: ${settings.auth ? "API keys" : "OFF"}`)
    if (!settings.auth) {
      yield* Effect.logWarning("auth is OFF (--no-auth): every local request acts as the admin operator")
    }
    return yield* Layer.launch(GatewayLive(overrides))
  })).pipe(Command.withDescription("Serve the gateway: OpenAI-compatible endpoints, typed API, RPC, live event tail"))

