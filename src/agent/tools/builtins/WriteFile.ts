import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { ToolError } from "../Errors.ts"
import { attempt } from "../internal/Fs.ts"
import { byteLength } from "../internal/Output.ts"
import * as Tool from "../Tool.ts"

export const WriteFileParameters = Schema.Struct({
  path: Schema.String.annotations({ description: "File to write, relative to the workspace; parent directories are created" }),
  content: Schema.String.annotations({ description: "The complete new content of the file" })
})

export const WriteFile = Tool.make({
  name: "write_file",
  description: "Create or overwrite a file in the workspace with the given content. Prefer edit_file for small changes.",
  parameters: WriteFileParameters,
  handler: Effect.fn("write_file")(function*(args: typeof WriteFileParameters.Type, ctx: Tool.ToolContext) {
    const bytes = byteLength(args.content)
    if (bytes > ctx.policy.maxWriteBytes) {
      return yield* new ToolError({
        tool: ctx.tool,
        reason: "policy_denied",
        message: `content is ${bytes} bytes, over the ${ctx.policy.preset} policy's write limit of ${ctx.policy.maxWriteBytes}`
      })
    }
    const target = yield* ctx.workspace.resolve(args.path, "write")
    const existing = yield* attempt(ctx.tool, args.path, () => fs.lstat(target.absolute).catch(() => undefined))
    if (existing !== undefined && !existing.isFile()) {
      return yield* new ToolError({ tool: ctx.tool, reason: "failed", message: `${args.path} exists and is not a regular file` })
    }
    yield* attempt(ctx.tool, args.path, async () => {
      await fs.mkdir(path.dirname(target.absolute), { recursive: true })
      await fs.writeFile(target.absolute, args.content, "utf8")
    })
    return {
      output: `${existing === undefined ? "created" : "overwrote"} ${target.relative} (${bytes} bytes)`,
      metadata: { path: target.relative, bytes, created: existing === undefined }
    }
  })
})
