import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { EventLog, ModelNotConfigured, Sessions, SessionsQuery, TauAgentSqlite, ToolRegistry } from "../../src/index.ts"
import { tempSqliteFile } from "../support/Sqlite.ts"

const noModel = Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))

describe("TauAgentSqlite", () => {
  it.scopedLive("builds without a model; send fails with ModelNotConfigured naming the variables and writes nothing", () =>
    Effect.gen(function*() {
      const filename = yield* tempSqliteFile
      yield* Effect.gen(function*() {
        const sessions = yield* Sessions
        const tools = yield* ToolRegistry
        assert.include(yield* tools.names, "write_file")
        const failure = yield* Effect.flip(Stream.runDrain(sessions.send("hello", { source: "test" })))
        assert.instanceOf(failure, ModelNotConfigured)
        assert.match(failure.message, /OPENAI_BASE_URL/)
        assert.match(failure.message, /TAU_MODEL/)
        assert.strictEqual(yield* (yield* EventLog).head, 0)
        assert.deepStrictEqual(yield* (yield* SessionsQuery).list(), [])
      }).pipe(Effect.provide(TauAgentSqlite({ filename }).pipe(Layer.provide(noModel), Layer.orDie)))
    }))
})
