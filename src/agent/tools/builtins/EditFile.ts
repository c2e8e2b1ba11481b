import { Effect, Schema } from "effect"
import * as fs from "node:fs/promises"
import { ToolError } from "../Errors.ts"
import { attempt } from "../internal/Fs.ts"
import { byteLength } from "../internal/Output.ts"
import * as Tool from "../Tool.ts"

export const EditFileParameters = Schema.Struct({
  path: Schema.String.annotations({ description: "File to edit, relative to the workspace" }),
  find: Schema.String.pipe(Schema.minLength(1)).annotations({
    description: "Exact text to replace (whitespace and indentation included); must occur exactly once unless all is true"
  }),
  replace: Schema.String.annotations({ description: "Replacement text" }),
  all: Schema.optional(Schema.Boolean.annotations({ description: "Replace every occurrence. Default false" }))
})

const countOf = (text: string, find: string) => text.split(find).length - 1

export const EditFile = Tool.make({
  name: "edit_file",
  description: "Replace an exact string in a file. Fails if the text is not found, or occurs more than once " +
    "and `all` is not set; returns the number of replacements.",
  parameters: EditFileParameters,
  handler: Effect.fn("edit_file")(function*(args: typeof EditFileParameters.Type, ctx: Tool.ToolContext) {
    const fail = (reason: ToolError["reason"], message: string) => new ToolError({ tool: ctx.tool, reason, message })
    const target = yield* ctx.workspace.resolve(args.path, "write")
    const stat = yield* attempt(ctx.tool, args.path, () => fs.stat(target.absolute))
    if (!stat.isFile()) return yield* fail("failed", `${args.path} is not a regular file`)
    if (stat.size > ctx.policy.maxReadBytes) {
      return yield* fail("policy_denied", `${args.path} is ${stat.size} bytes, over the read limit of ${ctx.policy.maxReadBytes}`)
    }
    const text = yield* attempt(ctx.tool, args.path, (signal) => fs.readFile(target.absolute, { encoding: "utf8", signal }))
    const count = countOf(text, args.find)
    if (count === 0) {
      return yield* fail("not_found", `the find text does not occur in ${args.path} (it must match exactly, whitespace included)`)
    }
    if (count > 1 && args.all !== true) {
      return yield* fail(
        "failed",
        `the find text occurs ${count} times in ${args.path}; include more surrounding text to make it unique, or set all: true`
      )
    }
    const updated = text.split(args.find).join(args.replace)
    const bytes = byteLength(updated)
    if (bytes > ctx.policy.maxWriteBytes) {
      return yield* fail("policy_denied", `the edited file would be ${bytes} bytes, over the write limit of ${ctx.policy.maxWriteBytes}`)
    }
    yield* attempt(ctx.tool, args.path, () => fs.writeFile(target.absolute, updated, "utf8"))
    return {
      output: `replaced ${count} occurrence${count === 1 ? "" : "s"} in ${target.relative}`,
      metadata: { path: target.relative, replacements: count }
    }
  })
})
