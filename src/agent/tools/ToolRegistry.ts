/**
 * The tool registry: the built-in coding tools plus whatever the embedding app registers. It gives the
 * model its tool specs and runs calls: decode the model's JSON arguments against the tool's Schema,
 * resolve the workspace, run the handler under the policy's timeout, cap the output, and report every
 * failure (defects included) as a ToolError the session records and shows to the model.
 */
import { Clock, Config, Duration, Effect, JSONSchema, Layer, Option, Ref, SchemaAST } from "effect"
import { builtinTools } from "./builtins/Builtins.ts"
import { ToolError, ToolRegistrationError } from "./Errors.ts"
import { decodeArguments } from "./internal/Arguments.ts"
import { capHead } from "./internal/Output.ts"
import { CurrentToolPolicy } from "./Policy.ts"
import type { ToolPolicy } from "./Policy.ts"
import type { AnyTool, RunContext, ToolOutput } from "./Tool.ts"
import { ToolResult } from "./Tool.ts"
import { makeWorkspace } from "./Workspace.ts"

/** The shape of a tool in an OpenAI Chat Completions request. */
export interface ToolSpec {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description: string
    readonly parameters: { readonly [key: string]: unknown }
  }
}

interface Entry {
  readonly tool: AnyTool
  readonly spec: ToolSpec
}

const validName = /^[A-Za-z0-9_-]{1,64}$/
const fallbackPath = "/usr/local/bin:/usr/bin:/bin"

// Schema.Struct({}) is `{}` to Effect (objects and arrays); a tool without parameters wants an empty object.
const isEmptyStruct = (ast: SchemaAST.AST) =>
  SchemaAST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
const emptyObject = { type: "object", properties: {}, additionalProperties: false } as const

const toSpec = (tool: AnyTool): Effect.Effect<ToolSpec, ToolRegistrationError> =>
  Effect.try({
    try: () => {
      if (isEmptyStruct(tool.parameters.ast)) {
        return { type: "function" as const, function: { name: tool.name, description: tool.description, parameters: emptyObject } }
      }
      const { $schema: _, ...parameters } = JSONSchema.make(tool.parameters)
      if (!("type" in parameters) || parameters.type !== "object") throw new Error("not an object schema")
      return { type: "function" as const, function: { name: tool.name, description: tool.description, parameters } }
    },
    catch: (cause) =>
      new ToolRegistrationError({
        name: tool.name,
        reason: "invalid_parameters",
        detail: cause instanceof Error ? cause.message : String(cause)
      })
  })

/** The allowlisted variables, read through Config so nothing else of the process environment is ever seen. */
const readEnvironment = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const environment: Record<string, string> = {}
    for (const name of names) {
      const value = yield* Config.option(Config.string(name))
      if (Option.isSome(value)) environment[name] = value.value
    }
    environment.PATH ??= fallbackPath
    return environment
  })

const normalize = (raw: string | ToolOutput, cap: number) => {
  const out: ToolOutput = typeof raw === "string" ? { output: raw } : raw
  const capped = capHead(out.output, cap)
  return {
    output: capped.output,
    truncated: capped.truncated || out.truncated === true,
    originalBytes: Math.max(out.originalBytes ?? 0, capped.originalBytes),
    ...(out.metadata === undefined ? {} : { metadata: out.metadata })
  }
}

const describeDefect = (defect: unknown) => (defect instanceof Error ? defect.message : String(defect))

export class ToolRegistry extends Effect.Service<ToolRegistry>()("app/agent/tools/ToolRegistry", {
  effect: Effect.gen(function*() {
    const policy: ToolPolicy = yield* CurrentToolPolicy
    const environment = yield* readEnvironment(policy.envAllowlist)
    const entries = yield* Ref.make<ReadonlyMap<string, Entry>>(new Map())

    const register = Effect.fn("ToolRegistry.register")(function*(tool: AnyTool) {
      if (!validName.test(tool.name)) return yield* new ToolRegistrationError({ name: tool.name, reason: "invalid_name" })
      const spec = yield* toSpec(tool)
      const added = yield* Ref.modify(entries, (map): [boolean, ReadonlyMap<string, Entry>] =>
        map.has(tool.name) ? [false, map] : [true, new Map([...map, [tool.name, { tool, spec }]])]
      )
      if (!added) return yield* new ToolRegistrationError({ name: tool.name, reason: "duplicate_name" })
    })

    const unregister = (name: string) =>
      Ref.update(entries, (map) => new Map([...map].filter(([key]) => key !== name)))

    for (const tool of builtinTools) yield* register(tool).pipe(Effect.orDie)

    const execute = (entry: Entry, argumentsJson: string, context: RunContext) =>
      Effect.gen(function*() {
        const { tool } = entry
        const args = yield* decodeArguments(tool.name, tool.parameters, argumentsJson)
        const workspace = yield* makeWorkspace(context.workspace, policy, tool.name)
        const timeoutMs = tool.timeoutMs?.(args, policy) ?? policy.toolTimeoutMs
        const raw = yield* tool.handler(args, {
          tool: tool.name,
          sessionId: context.sessionId,
          causationId: context.causationId,
          workspace,
          policy,
          environment
        })
          .pipe(
            Effect.catchAllDefect((defect) =>
              Effect.fail(
                new ToolError({ tool: tool.name, reason: "failed", message: `internal error: ${describeDefect(defect)}` })
              )
            ),
            Effect.timeoutFail({
              duration: Duration.millis(timeoutMs),
              onTimeout: () =>
                new ToolError({ tool: tool.name, reason: "timeout", message: `${tool.name} timed out after ${timeoutMs} ms` })
            })
          )
        return normalize(raw, tool.outputCap?.(policy) ?? policy.maxOutputBytes)
      })

    /** Runs one call. Never fails with anything but ToolError (with durationMs set) and never throws. */
    const run = (name: string, argumentsJson: string, context: RunContext): Effect.Effect<ToolResult, ToolError> =>
      Effect.gen(function*() {
        const started = yield* Clock.currentTimeMillis
        const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - started)
        const entry = (yield* Ref.get(entries)).get(name)
        const attempt = entry === undefined
          ? Effect.fail(
            new ToolError({
              tool: name,
              reason: "not_found",
              unknownTool: true,
              message: `unknown tool "${name}"; available: ${[...(yield* Ref.get(entries)).keys()].join(", ")}`
            })
          )
          : execute(entry, argumentsJson, context)
        const result = yield* attempt.pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(elapsed, (durationMs) =>
              Effect.fail(
                new ToolError({
                  tool: error.tool,
                  reason: error.reason,
                  message: error.message,
                  durationMs,
                  ...(error.unknownTool === undefined ? {} : { unknownTool: error.unknownTool })
                })
              ))
          )
        )
        return new ToolResult({ ...result, durationMs: yield* elapsed })
      }).pipe(Effect.withSpan("ToolRegistry.run", { attributes: { tool: name, sessionId: context.sessionId } }))

    // One array per registry content (a change makes a new map), so callers can cache what they derive from it.
    const specsOf = new WeakMap<ReadonlyMap<string, Entry>, ReadonlyArray<Entry["spec"]>>()
    const specs = Effect.map(Ref.get(entries), (map) => {
      let list = specsOf.get(map)
      if (list === undefined) {
        list = [...map.values()].map((e) => e.spec)
        specsOf.set(map, list)
      }
      return list
    })
    const names = Effect.map(Ref.get(entries), (map) => [...map.keys()])

    return { policy, specs, names, run, register, unregister } as const
  }),
  dependencies: [CurrentToolPolicy.layerConfig]
}) {
  /**
   * A layer that registers `tool` for as long as the layer lives (and unregisters it afterwards). Services
   * the handler needs (`R`) are taken from the layer's context, so an app can register a tool that uses its
   * own services: `ToolRegistry.register(myTool).pipe(Layer.provide(MyServiceLive))`.
   */
  static register<R>(tool: AnyTool<R>): Layer.Layer<never, ToolRegistrationError, ToolRegistry | R> {
    return Layer.scopedDiscard(
      Effect.gen(function*() {
        const registry = yield* ToolRegistry
        const context = yield* Effect.context<R>()
        const provided: AnyTool = { ...tool, handler: (args, ctx) => Effect.provide(tool.handler(args, ctx), context) }
        yield* Effect.acquireRelease(registry.register(provided), () => registry.unregister(tool.name))
      })
    )
  }
}
