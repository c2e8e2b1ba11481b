import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { resolveGatewaySettings } from "../../src/http/GatewayConfig.ts"

const resolve = (env: Record<string, string>, overrides: Parameters<typeof resolveGatewaySettings>[0] = {}) =>
  resolveGatewaySettings(overrides).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.either
  )

describe("gateway settings", () => {
  it.effect("defaults: 127.0.0.1:8787 with auth on; flags override configuration", () =>
    Effect.gen(function*() {
      const defaults = Either.getOrThrow(yield* resolve({}))
      assert.deepInclude(defaults, { host: "127.0.0.1", port: 8787, auth: true, maxBodyBytes: 4 * 1024 * 1024 })
      const flagged = Either.getOrThrow(yield* resolve({ TAU_PORT: "9000" }, { port: 9100, auth: false }))
      assert.deepInclude(flagged, { port: 9100, auth: false })
    }))

  it.effect("auth off is refused on a non-loopback host, from a flag or from TAU_AUTH", () =>
    Effect.gen(function*() {
      for (const refused of [yield* resolve({ TAU_HOST: "0.0.0.0" }, { auth: false }), yield* resolve({ TAU_HOST: "0.0.0.0", TAU_AUTH: "false" })]) {
        assert.isTrue(Either.isLeft(refused))
        if (Either.isLeft(refused)) assert.match(String(refused.left), /only be off .* on 127\.0\.0\.1, not on 0\.0\.0\.0/)
      }
      assert.isTrue(Either.isRight(yield* resolve({ TAU_HOST: "0.0.0.0" })))
      assert.isTrue(Either.isRight(yield* resolve({ TAU_HOST: "::1", TAU_AUTH: "false" })))
    }))
})
