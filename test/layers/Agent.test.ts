import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schema, Stream } from "effect"
import {
  EventLog,
  ModelNotConfigured,
  ProjectionRunner,
  sessionStream,
  Sessions,
  SessionsQuery,
  TauAgentSqlite,
  Tool,
  ToolRegistry
} from "../../src/index.ts"
import { Reply, loopbackModel } from "../support/LoopbackModel.ts"
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

describe("AgentLive for an embedding app", () => {
  it.scopedLive("a tool registered through the public Tool/ToolRegistry exports is offered to sessions and runs", () =>
    Effect.gen(function*() {
      const lb = yield* loopbackModel()
      const filename = yield* tempSqliteFile
      const shout = Tool.make({
        name: "shout",
        description: "Upper-cases a text",
        parameters: Schema.Struct({ text: Schema.String }),
        handler: ({ text }) => Effect.succeed(text.toUpperCase())
      })
      lb.enqueue(Reply.toolCalls([{ id: "s1", name: "shout", arguments: { text: "hey" } }]), Reply.text("done"))
      const app = TauAgentSqlite({ filename })
      const layer = Layer.merge(app, ToolRegistry.register(shout).pipe(Layer.provide(app))).pipe(
        Layer.provide(Layer.setConfigProvider(lb.configProvider({ TAU_SESSION_STREAM: "false" }))),
        Layer.orDie
      )
      yield* Effect.gen(function*() {
        const reply = yield* (yield* Sessions).ask("shout hey", { mode: "task", source: "test" })
        assert.strictEqual(reply.ending, "SessionCompleted")
        const offered = lb.chatRequests()[0]?.body.tools as ReadonlyArray<{ function: { name: string } }>
        assert.isTrue(offered.some((t) => t.function.name === "shout"))
        for (const name of ["memory_search", "memory_write", "memory_link", "memory_delete"]) {
          assert.isTrue(offered.some((t) => t.function.name === name), `${name} is offered`)
        }
        const events = yield* (yield* EventLog).readStream(sessionStream(reply.sessionId))
        const completed = events.map((e) => e.event).find((e) => e._tag === "ToolCallCompleted")
        assert.strictEqual(completed?._tag === "ToolCallCompleted" ? completed.output : undefined, "HEY")
        yield* (yield* ProjectionRunner).catchUp()
        const row = yield* (yield* SessionsQuery).get(reply.sessionId)
        assert.deepInclude(Option.getOrThrow(row), { status: "completed", turns: 2, toolCalls: 1 })
      }).pipe(Effect.provide(layer))
    }))
})
