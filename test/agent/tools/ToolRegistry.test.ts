import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Schema } from "effect"
import { failureReasonOf, ToolError } from "../../../src/agent/tools/Errors.ts"
import { CurrentToolPolicy, loadToolPolicy, Presets, ToolPolicy } from "../../../src/agent/tools/Policy.ts"
import * as Tool from "../../../src/agent/tools/Tool.ts"
import { ToolRegistry } from "../../../src/agent/tools/ToolRegistry.ts"
import { registryLayer, run, runError, tempDir } from "./Harness.ts"

class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}

const GreetParameters = Schema.Struct({
  name: Schema.String.annotations({ description: "Who to greet" }),
  times: Schema.optional(Schema.Int.pipe(Schema.between(1, 3)))
})

const greetTool = Tool.make({
  name: "greet",
  description: "Greets someone, using the app's Greeter service",
  parameters: GreetParameters,
  handler: (args: typeof GreetParameters.Type, ctx) =>
    Effect.map(Greeter, (greeter) => ({
      output: Array.from({ length: args.times ?? 1 }, () => greeter.greet(args.name)).join(" "),
      metadata: { session: ctx.sessionId }
    }))
})

const GreeterLive = Layer.succeed(Greeter, { greet: (name) => `hello ${name}` })

describe("ToolRegistry", () => {
  it.scopedLive("specs are OpenAI function specs built from the parameter Schemas", () =>
    Effect.gen(function*() {
      const specs = yield* Effect.flatMap(ToolRegistry, (r) => r.specs)
      assert.deepStrictEqual(
        specs.map((s) => s.function.name),
        ["read_file", "write_file", "edit_file", "list_dir", "glob", "grep", "run_command"]
      )
      const edit = specs.find((s) => s.function.name === "edit_file")!
      assert.strictEqual(edit.type, "function")
      assert.deepStrictEqual(edit.function.parameters.required, ["path", "find", "replace"])
      assert.strictEqual(edit.function.parameters.additionalProperties, false)
      assert.notProperty(edit.function.parameters, "$schema")
      assert.deepInclude(edit.function.parameters.properties as object, { all: { type: "boolean", description: "Replace every occurrence. Default false" } })
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("invalid arguments fail with invalid_arguments naming the failing path", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const wrongType = yield* runError("read_file", { path: "a", offset: "ten" }, dir)
      assert.strictEqual(wrongType.reason, "invalid_arguments")
      assert.include(wrongType.message, "at offset: Expected number")
      assert.notInclude(wrongType.message, "Expected undefined")
      const missing = yield* runError("write_file", { path: "a" }, dir)
      assert.include(missing.message, "at content: is missing")
      const extra = yield* runError("read_file", { path: "a", file_path: "b" }, dir)
      assert.include(extra.message, "at file_path: is unexpected")
      const notJson = yield* runError("read_file", "{path: a", dir)
      assert.strictEqual(notJson.reason, "invalid_arguments")
      assert.include(notJson.message, "not valid JSON")
      assert.isNumber(notJson.durationMs)
      const unknown = yield* runError("rm_rf", {}, dir)
      assert.strictEqual(unknown.reason, "not_found")
      assert.include(unknown.message, "available: read_file")
      assert.strictEqual(failureReasonOf(unknown), "unknown_tool")
      assert.strictEqual(failureReasonOf(wrongType), "invalid_arguments")
      const noWorkspace = yield* runError("list_dir", {}, `${dir}/does-not-exist`)
      assert.strictEqual(noWorkspace.reason, "not_found")
      assert.strictEqual(failureReasonOf(noWorkspace), "error")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("a custom tool registered through a Layer appears in specs() and runs with its services", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const registry = yield* ToolRegistry
      const spec = (yield* registry.specs).find((s) => s.function.name === "greet")
      assert.isDefined(spec)
      assert.strictEqual(spec!.function.description, "Greets someone, using the app's Greeter service")
      assert.deepStrictEqual(spec!.function.parameters.required, ["name"])
      const result = yield* run("greet", { name: "tau", times: 2 }, dir)
      assert.strictEqual(result.output, "hello tau hello tau")
      assert.deepStrictEqual(result.metadata, { session: "test-session" })
      const invalid = yield* runError("greet", { name: "tau", times: 9 }, dir)
      assert.strictEqual(invalid.reason, "invalid_arguments")
      assert.include(invalid.message, "at times")
    }).pipe(
      Effect.provide(
        ToolRegistry.register(greetTool).pipe(Layer.provide(GreeterLive), Layer.provideMerge(registryLayer()))
      )
    ))

  it.scopedLive("registering a taken or malformed name fails the layer", () =>
    Effect.gen(function*() {
      const clash = Tool.make({ ...greetTool, name: "read_file" })
      const bad = Tool.make({ ...greetTool, name: "has space" })
      for (const tool of [clash, bad]) {
        const exit = yield* Effect.exit(
          Effect.scoped(Layer.build(ToolRegistry.register(tool).pipe(Layer.provide(GreeterLive), Layer.provide(registryLayer()))))
        )
        assert.isTrue(Exit.isFailure(exit))
      }
    }))

  it.scopedLive("a registration is removed when its layer's scope closes", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry
      const inside = yield* Effect.scoped(
        Layer.build(ToolRegistry.register(greetTool).pipe(Layer.provide(GreeterLive))).pipe(
          Effect.provideService(ToolRegistry, registry),
          Effect.zipRight(registry.names)
        )
      )
      assert.include(inside, "greet")
      assert.notInclude(yield* registry.names, "greet")
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("specs is the same array until the registry changes, then a new one with the change", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry
      const before = yield* registry.specs
      assert.strictEqual(yield* registry.specs, before)
      const during = yield* Effect.scoped(
        Layer.build(ToolRegistry.register(greetTool).pipe(Layer.provide(GreeterLive))).pipe(
          Effect.provideService(ToolRegistry, registry),
          Effect.zipRight(Effect.all([registry.specs, registry.specs]))
        )
      )
      assert.notStrictEqual(during[0], before)
      assert.strictEqual(during[1], during[0])
      assert.deepStrictEqual(during[0].map((s) => s.function.name), [...before.map((s) => s.function.name), "greet"])
      const after = yield* registry.specs
      assert.notStrictEqual(after, during[0])
      assert.deepStrictEqual(after, before)
    }).pipe(Effect.provide(registryLayer())))

  it.scopedLive("handler defects and hangs become failed / timeout errors, never throws", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const registry = yield* ToolRegistry
      const Empty = Schema.Struct({})
      yield* registry.register(Tool.make({
        name: "boom",
        description: "dies",
        parameters: Empty,
        handler: () => Effect.die(new Error("kaboom"))
      }))
      yield* registry.register(Tool.make({
        name: "hang",
        description: "never returns",
        parameters: Empty,
        handler: () => Effect.never
      }))
      const boom = yield* runError("boom", {}, dir)
      assert.strictEqual(boom.reason, "failed")
      assert.include(boom.message, "kaboom")
      const hang = yield* runError("hang", "", dir)
      assert.strictEqual(hang.reason, "timeout")
      assert.isAtLeast(hang.durationMs ?? 0, 150)
      assert.instanceOf(hang, ToolError)
    }).pipe(Effect.provide(registryLayer(ToolPolicy.make({ ...Presets.balanced, toolTimeoutMs: 200 })))))

  it.scopedLive("output over the cap is truncated with a marker and the original size", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const registry = yield* ToolRegistry
      yield* registry.register(Tool.make({
        name: "loud",
        description: "prints a lot",
        parameters: Schema.Struct({}),
        handler: () => Effect.succeed("é".repeat(1_000))
      }))
      const spec = (yield* registry.specs).find((s) => s.function.name === "loud")
      assert.deepStrictEqual(spec?.function.parameters, { type: "object", properties: {}, additionalProperties: false })
      const result = yield* run("loud", {}, dir)
      assert.isTrue(result.truncated)
      assert.strictEqual(result.originalBytes, 2_000)
      assert.isAtMost(Buffer.byteLength(result.output), 300)
      assert.notInclude(result.output, "\uFFFD")
      assert.include(result.output, "[truncated")
    }).pipe(Effect.provide(registryLayer(ToolPolicy.make({ ...Presets.balanced, maxOutputBytes: 300 })))))
})

describe("policy configuration", () => {
  const load = (map: Record<string, string>) =>
    loadToolPolicy.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map)))))

  it.effect("defaults to balanced", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* load({}), Presets.balanced)
    }))

  it.effect("TAU_TOOL_POLICY picks a preset and TAU_TOOL_* override fields", () =>
    Effect.gen(function*() {
      const policy = yield* load({
        TAU_TOOL_POLICY: "strict",
        TAU_TOOL_MAX_OUTPUT_BYTES: "5000",
        TAU_TOOL_ALLOWED_COMMANDS: "ls,cat",
        TAU_TOOL_PROTECTED_PATHS: "secrets/**",
        TAU_TOOL_ENV_ALLOWLIST: "GOPATH"
      })
      assert.strictEqual(policy.preset, "strict")
      assert.strictEqual(policy.maxOutputBytes, 5000)
      assert.strictEqual(policy.maxReadBytes, Presets.strict.maxReadBytes)
      assert.deepStrictEqual(policy.commandAllowlist, ["ls", "cat"])
      assert.include(policy.protectedPaths, "secrets/**")
      assert.include(policy.protectedPaths, ".git")
      assert.include(policy.envAllowlist, "GOPATH")
      assert.isNull((yield* load({ TAU_TOOL_ALLOWED_COMMANDS: "*" })).commandAllowlist)
    }))

  it.effect("an unknown preset or a bad number is a ConfigError", () =>
    Effect.gen(function*() {
      assert.isTrue(Exit.isFailure(yield* Effect.exit(load({ TAU_TOOL_POLICY: "yolo" }))))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(load({ TAU_TOOL_TIMEOUT_MS: "-5" }))))
    }))

  it.scopedLive("the registry's default layer reads the policy from config", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry
      assert.strictEqual(registry.policy.preset, "permissive")
    }).pipe(
      Effect.provide(
        ToolRegistry.DefaultWithoutDependencies.pipe(
          Layer.provide(CurrentToolPolicy.layerConfig),
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["TAU_TOOL_POLICY", "permissive"]]))))
        )
      )
    ))
})
