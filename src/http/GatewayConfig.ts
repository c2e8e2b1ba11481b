/**
 * Gateway settings, from configuration (flags of `tau serve` override them): where to listen, whether keys
 * are required, the body-size limit, readiness and shutdown bounds.
 */
import { Config, ConfigError, Context, Duration, Effect, Layer } from "effect"

export interface GatewaySettings {
  readonly host: string
  readonly port: number
  /** false only in the explicit single-user localhost mode (`--no-auth`, bound to 127.0.0.1). */
  readonly auth: boolean
  /** Request bodies above this many bytes are refused with 413. */
  readonly maxBodyBytes: number
  /** /readyz answers 503 while a projection lags the log head by more than this many events. */
  readonly readyMaxLag: number
  /** How long running turns may take to finish on SIGINT/SIGTERM before they are interrupted. */
  readonly shutdownGrace: Duration.Duration
  /** Per-request tracing spans (off by default: they cost ~30 % of a small request). */
  readonly tracing: boolean
}

export const GatewaySettingsConfig: Config.Config<GatewaySettings> = Config.all({
  host: Config.string("TAU_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.port("TAU_PORT").pipe(Config.withDefault(8787)),
  auth: Config.boolean("TAU_AUTH").pipe(Config.withDefault(true)),
  maxBodyBytes: Config.integer("TAU_MAX_BODY_BYTES").pipe(
    Config.validate({ message: "TAU_MAX_BODY_BYTES must be a positive integer", validation: (n) => n > 0 }),
    Config.withDefault(4 * 1024 * 1024)
  ),
  readyMaxLag: Config.integer("TAU_READY_MAX_LAG").pipe(Config.withDefault(1000)),
  shutdownGrace: Config.duration("TAU_SHUTDOWN_GRACE").pipe(Config.withDefault(Duration.seconds(10))),
  tracing: Config.boolean("TAU_HTTP_TRACING").pipe(Config.withDefault(false))
})

/**
 * The settings from configuration with `overrides` (command-line flags) on top. Auth off is refused unless the
 * server listens on a loopback address, whoever builds the gateway (`tau serve` or an embedding app).
 */
export const resolveGatewaySettings = (
  overrides: Partial<GatewaySettings> = {}
): Effect.Effect<GatewaySettings, ConfigError.ConfigError> =>
  Effect.flatMap(GatewaySettingsConfig, (configured) => {
    const settings = { ...configured, ...overrides }
    return settings.auth || isLoopbackHost(settings.host)
      ? Effect.succeed(settings)
      : Effect.fail(ConfigError.InvalidData(
        ["TAU_AUTH"],
        `auth can only be off (--no-auth) on 127.0.0.1, not on ${settings.host}; create a key with \`tau keys create\``
      ))
  })

export class Gateway extends Context.Tag("app/http/GatewaySettings")<Gateway, GatewaySettings>() {
  static readonly fromConfig = (overrides: Partial<GatewaySettings> = {}) =>
    Layer.effect(Gateway, resolveGatewaySettings(overrides))
  static readonly make = (settings: Partial<GatewaySettings> = {}) =>
    Layer.succeed(Gateway, {
      host: "127.0.0.1",
      port: 8787,
      auth: true,
      maxBodyBytes: 4 * 1024 * 1024,
      readyMaxLag: 1000,
      shutdownGrace: Duration.seconds(10),
      tracing: false,
      ...settings
    })
}

/** `--no-auth` is refused unless the server listens on the loopback interface only. */
export const isLoopbackHost = (host: string): boolean =>
  host === "127.0.0.1" || host === "::1" || host === "localhost"
