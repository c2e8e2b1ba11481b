import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ToolError } from "../Errors.ts"
import { attempt, walk } from "../internal/Fs.ts"
import * as Tool from "../Tool.ts"

export const ListDirParameters = Schema.Struct({
  path: Schema.optional(Schema.String.annotations({ description: "Directory relative to the workspace. Default \".\"" })),
  recursive: Schema.optional(Schema.Boolean.annotations({ description: "List subdirectories too. Default false" })),
  max_depth: Schema.optional(
    Schema.Int.pipe(Schema.between(1, 20)).annotations({ description: "Depth limit when recursive. Default 3" })
  )
})

const suffix = { dir: "/", symlink: "@", file: "", other: "" } as const

export const ListDir = Tool.make({
  name: "list_dir",
  description: "List a directory of the workspace: directories end with /, symbolic links with @. " +
    ".git, node_modules and .tau are listed but not descended into.",
  parameters: ListDirParameters,
  handler: Effect.fn("list_dir")(function*(args: typeof ListDirParameters.Type, ctx: Tool.ToolContext) {
    const input = args.path ?? "."
    const target = yield* ctx.workspace.resolve(input, "read")
    const stat = yield* attempt(ctx.tool, input, () => fs.stat(target.absolute))
    if (!stat.isDirectory()) {
      return yield* new ToolError({ tool: ctx.tool, reason: "failed", message: `${input} is not a directory` })
    }
    const maxDepth = args.recursive === true ? args.max_depth ?? 3 : 1
    const { entries, truncated } = yield* walk(ctx.tool, ctx.workspace, target, {
      maxEntries: ctx.policy.maxListEntries,
      maxDepth
    })
    const lines = entries
      .map((e) => path.relative(target.absolute, e.absolute).split(path.sep).join("/") + suffix[e.kind])
      .sort()
    if (truncated) lines.push(`[listing stopped after ${ctx.policy.maxListEntries} entries]`)
    return {
      output: lines.length === 0 ? "(empty directory)" : lines.join("\n"),
      metadata: { path: target.relative, entries: entries.length, limited: truncated }
    }
  })
})
