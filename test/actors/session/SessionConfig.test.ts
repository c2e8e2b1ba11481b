import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either } from "effect"
import { SessionConfig } from "../../../src/actors/session/SessionConfig.ts"

const read = (env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(SessionConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("SessionConfig", () => {
  it.effect("the turn linger: 10 ms by default, 0 allowed (append at once), a negative or fractional value refused by name", () =>
    Effect.gen(function*() {
      const defaults = yield* read({})
      assert.isTrue(Either.isRight(defaults) && Duration.toMillis(defaults.right.turnLinger) === 10)
      const zero = yield* read({ TAU_SESSION_TURN_LINGER_MS: "0" })
      assert.isTrue(Either.isRight(zero) && Duration.toMillis(zero.right.turnLinger) === 0)
      for (const bad of ["-1", "2.5", "soon"]) {
        const refused = yield* read({ TAU_SESSION_TURN_LINGER_MS: bad })
        assert.isTrue(Either.isLeft(refused), bad)
        if (Either.isLeft(refused)) assert.include(String(refused.left), "TAU_SESSION_TURN_LINGER_MS")
      }
    }))
})
