import { Effect, Schema } from "effect"
import * as path from "node:path"
import { walk } from "../internal/Fs.ts"
import { globToRegExp } from "../internal/Glob.ts"
import * as Tool from "../Tool.ts"

export const GlobParameters = Schema.Struct({
  pattern: Schema.String.pipe(Schema.minLength(1)).annotations({
    description: "Glob relative to path: * and ? within a name, ** across directories, {a,b}, [abc]. Example: src/**/*.ts"
  }),
  path: Schema.optional(Schema.String.annotations({ description: "Directory to search from. Default \".\"" })),
  max_results: Schema.optional(Schema.Int.pipe(Schema.positive()).annotations({ description: "Most paths to return" }))
})

export const Glob = Tool.make({
  name: "glob",
  description: "Find files by glob pattern. Returns workspace-relative paths, sorted; directories end with /.",
  parameters: GlobParameters,
  handler: Effect.fn("glob")(function*(args: typeof GlobParameters.Type, ctx: Tool.ToolContext) {
    const base = yield* ctx.workspace.resolve(args.path ?? ".", "read")
    const pattern = args.pattern.replace(/^\.\//, "")
    const matcher = globToRegExp(pattern)
    const depth = pattern.includes("**") ? 64 : pattern.split("/").length
    const limit = Math.min(args.max_results ?? ctx.policy.maxGlobResults, ctx.policy.maxGlobResults)
    const { entries, truncated: scanStopped } = yield* walk(ctx.tool, ctx.workspace, base, {
      maxEntries: ctx.policy.maxScanEntries,
      maxDepth: depth
    })
    const matches = entries
      .filter((e) => matcher.test(path.relative(base.absolute, e.absolute).split(path.sep).join("/")))
      .map((e) => e.relative + (e.kind === "dir" ? "/" : ""))
      .sort()
    const shown = matches.slice(0, limit)
    const notes: Array<string> = []
    if (matches.length > limit) notes.push(`[${matches.length - limit} more matches not shown]`)
    if (scanStopped) notes.push(`[search stopped after ${ctx.policy.maxScanEntries} entries; narrow path or pattern]`)
    return {
      output: shown.length === 0 ? `no paths match ${args.pattern}` : [...shown, ...notes].join("\n"),
      metadata: { matches: matches.length, limited: matches.length > limit || scanStopped }
    }
  })
})
